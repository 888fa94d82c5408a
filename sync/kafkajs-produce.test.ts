import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installProduceEncoder, kafkajsProduceV3, produceRequest } from './kafkajs-produce.js';
import { crc32c } from './record-batch.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: string): unknown };

afterEach(() => vi.restoreAllMocks());

const messages = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => ({
  key: i % 3 === 0 ? Buffer.from(`k${i}`) : i % 5 === 0 ? null : `IST:89${i}:CLIMATE`,
  value: i % 7 === 0 ? `{"ü":"${'€'.repeat(i)}","n":${i + offset}}` : `{"score":${i},"pad":"${'x'.repeat(i * 13)}"}`,
  headers: i % 4 === 0 ? {} : { event_id: `e${i}`, correlation_id: `c${i}`, multi: ['a', Buffer.from('b')] },
}));

const args = (compression: number) => ({
  acks: -1, timeout: 30_000, transactionalId: 'ucid-gw-test', producerId: Long.fromValue('4242'), producerEpoch: 3, compression,
  topicData: [
    { topic: 'ucid.processed.scores', partitions: [{ partition: 0, firstSequence: 7, messages: messages(300) }, { partition: 11, firstSequence: 0, messages: messages(1) }] },
    { topic: 'ucid.gateway.checkpoints', partitions: [{ partition: 2, firstSequence: 1, messages: [{ key: 'ucid-gw-test', value: '{"seq":1}', headers: {} }] }] },
  ],
});

/** Splits a produce request body into its record batches (after the request's own fields). */
function batches(body: Buffer): Buffer[] {
  let off = 2 + body.readInt16BE(0) + 6;
  const out: Buffer[] = [];
  for (let topics = body.readInt32BE(off), t = 0, _ = (off += 4); t < topics; t++) {
    off += 2 + body.readInt16BE(off);
    const parts = body.readInt32BE(off);
    off += 4;
    for (let p = 0; p < parts; p++) {
      const size = body.readInt32BE(off + 4);
      out.push(body.subarray(off + 8, off + 8 + size));
      off += 8 + size;
    }
    void _;
  }
  return out;
}

describe('Produce request encoder (record batch v2) under kafkajs', () => {
  it('computes CRC-32C as kafkajs does', () => {
    for (const n of [0, 1, 7, 8, 9, 63, 1000, 4097]) {
      const b = Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff));
      expect(crc32c(b)).toBe(kafkajsCrc32c(b));
    }
  });

  it('writes the same bytes as kafkajs 2.2.4 for an uncompressed request', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_767_225_600_000);
    const ours = (await produceRequest(7)(args(0)).encode()).buffer;
    const theirs = (await kafkajsProduceV3(args(0)).encode()).buffer;
    expect(ours.length).toBeGreaterThan(40_000);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('compresses with gzip to the same records and valid CRCs', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_767_225_600_000);
    const ours = batches((await produceRequest(7)(args(1)).encode()).buffer);
    const theirs = batches((await kafkajsProduceV3(args(1)).encode()).buffer);
    expect(ours).toHaveLength(3);
    ours.forEach((b, i) => {
      const t = theirs[i]!;
      expect(b.subarray(21, 61).equals(t.subarray(21, 61))).toBe(true);
      expect(b.readInt16BE(21) & 7).toBe(1);
      expect(b.readUInt32BE(17)).toBe(crc32c(b, 21));
      expect(gunzipSync(b.subarray(61)).equals(gunzipSync(t.subarray(61)))).toBe(true);
    });
  });

  it('is what kafkajs uses for every Produce version once installed', () => {
    installProduceEncoder();
    const produce = require('kafkajs/src/protocol/requests/produce/index.js') as {
      protocol(v: { version: number }): (a: ReturnType<typeof args>) => { request: { apiVersion: number; encode: unknown } };
    };
    for (const v of [3, 4, 5, 6, 7]) {
      const { request } = produce.protocol({ version: v })(args(0));
      expect(request.apiVersion).toBe(v);
      expect(String(request.encode)).toBe(String(produceRequest(v)(args(0)).encode));
    }
  });
});

describe('murmur2 key partitioner', () => {
  it('picks the partitions kafkajs (and the Java client) pick', async () => {
    const { keyPartition } = await import('./partitioner.js');
    const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (k: string | Buffer) => number;
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'IST:891f2ed6df7ffff:CLIMATE', 'gap:gw-01', 'ünïcødé-€', Buffer.from([0xff, 0, 0x80, 1, 2])];
    for (let i = 0; i < 500; i++) keys.push(`IST:89${(i * 7919).toString(16)}:${i % 2 ? 'TRANSIT' : 'CLIMATE'}`);
    for (const key of keys) for (const n of [1, 3, 12, 24]) expect(keyPartition(key, n)).toBe((kafkajsMurmur2(key) & 0x7fffffff) % n);
  });
});
