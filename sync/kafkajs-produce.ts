import { createRequire } from 'node:module';
import { batchTimestamps, encodeBatch, encodeRecords, type BatchRecord } from './record-batch.js';

/**
 * Workaround for kafkajs 2.2.4's Produce request encoder (unmaintained since 2022; the design card's client):
 * it costs most of a drain's CPU (docs/sync.md, benchmark). kafkajs loads `produce/vN/request.js` through
 * `require` on every request (produce/index.js), so replacing those modules' exports in the CommonJS cache
 * swaps in record-batch.ts for every version kafkajs may negotiate (v3–v7; Kafka 4 removed v0–v2). The
 * bytes on the wire are the same as kafkajs's own (sync/kafkajs-produce.test.ts); compression still goes
 * through kafkajs's codecs, run for all partitions of a request at once instead of one after the other.
 */

const require = createRequire(import.meta.url);
const PRODUCE = 'kafkajs/src/protocol/requests/produce';
const VERSIONS = [3, 4, 5, 6, 7] as const;

interface KafkajsEncoder { buf: Buffer; offset: number; readonly buffer: Buffer }
type EncoderClass = new (initialSize?: number) => KafkajsEncoder;
interface Codec { compress(encoder: { buffer: Buffer }): Promise<Buffer> }

interface ProduceMessage extends BatchRecord { partition?: number }
interface PartitionData { partition: number; firstSequence?: number; messages: ProduceMessage[] }
interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: Array<{ topic: string; partitions: PartitionData[] }>;
}
export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<KafkajsEncoder>;
}
type RequestFactory = (args: ProduceArgs) => ProduceRequest;

const Encoder = require('kafkajs/src/protocol/encoder.js') as EncoderClass;
const { Produce: API_KEY } = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };
const { lookupCodec, COMPRESSION_CODEC_MASK } = require('kafkajs/src/protocol/message/compression/index.js') as {
  lookupCodec(type: number): Codec | null; COMPRESSION_CODEC_MASK: number;
};

function toBigInt(v: unknown): bigint {
  if (v == null) return -1n;
  if (typeof v === 'object' && typeof (v as { value?: unknown }).value === 'bigint') return (v as { value: bigint }).value;
  return BigInt(String(v));
}

function kafkaString(s: string | null | undefined): Buffer {
  if (s == null) return Buffer.from([0xff, 0xff]);
  const len = Buffer.byteLength(s);
  const b = Buffer.allocUnsafe(2 + len);
  b.writeInt16BE(len, 0);
  b.write(s, 2);
  return b;
}

const int32 = (v: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(v, 0);
  return b;
};

async function encodeProduce(args: ProduceArgs): Promise<KafkajsEncoder> {
  const compression = args.compression ?? 0;
  const codec = compression === 0 ? null : lookupCodec(compression);
  if (compression !== 0 && !codec) throw new Error(`kafkajs has no codec for compression type ${compression}`);
  const producerId = toBigInt(args.producerId);
  const now = Date.now();
  const pending: Array<Promise<Buffer>> = [];
  const parts: Array<Buffer | number> = [kafkaString(args.transactionalId), Buffer.alloc(6), int32(args.topicData.length)];
  (parts[1] as Buffer).writeInt16BE(args.acks, 0);
  (parts[1] as Buffer).writeInt32BE(args.timeout, 2);
  for (const { topic, partitions } of args.topicData) {
    parts.push(kafkaString(topic), int32(partitions.length));
    for (const p of partitions) {
      const { first, max } = batchTimestamps(p.messages, now);
      const records = encodeRecords(p.messages, first);
      const header = {
        codec: compression & COMPRESSION_CODEC_MASK, transactional: Boolean(args.transactionalId), lastOffsetDelta: p.messages.length - 1,
        firstTimestamp: first, maxTimestamp: max, producerId, producerEpoch: args.producerEpoch ?? 0, firstSequence: p.firstSequence ?? 0, count: p.messages.length,
      };
      parts.push(int32(p.partition), pending.length);
      pending.push(codec ? codec.compress({ buffer: records }).then((z) => encodeBatch(header, z)) : Promise.resolve(encodeBatch(header, records)));
    }
  }
  const batches = await Promise.all(pending);
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if (typeof part !== 'number') chunks.push(part);
    else chunks.push(int32(batches[part]!.length), batches[part]!);
  }
  const out = new Encoder(0);
  out.buf = Buffer.concat(chunks);
  out.offset = out.buf.length;
  return out;
}

export function produceRequest(apiVersion: number): RequestFactory {
  return (args) => ({ apiKey: API_KEY, apiVersion, apiName: 'Produce', expectResponse: () => args.acks !== 0, encode: () => encodeProduce(args) });
}

/** kafkajs's own v3 request encoder, kept for the equivalence test. */
export const kafkajsProduceV3 = require(`${PRODUCE}/v3/request.js`) as RequestFactory;

interface PartitionerArgs { topic: string; partitionMetadata: unknown[]; message: ProduceMessage }

/**
 * kafkajs's groupMessagesPerPartition copies a partition's whole array for every message (O(n²) per
 * partition: 5,000-record pages spent more time here than encoding) and its partitioner filters the
 * partition list for every message; a message that names its partition keeps it either way.
 */
export function groupMessagesPerPartition({ partitionMetadata, messages, partitioner, topic }: {
  topic: string; partitionMetadata: unknown[]; messages: ProduceMessage[]; partitioner: (a: PartitionerArgs) => number;
}): Record<number, ProduceMessage[]> {
  const result: Record<number, ProduceMessage[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const p = Number.isInteger(message.partition) && message.partition! >= 0 ? message.partition! : partitioner({ topic, partitionMetadata, message });
    (result[p] ??= []).push(message);
  }
  return result;
}

let installed = false;

/**
 * Idempotent; takes effect on the next Produce request of every kafkajs producer in this process; the
 * grouping only if kafkajs's producer is not loaded yet. Runs when this module is imported: import it
 * before kafkajs. Needs kafkajs as files in node_modules (a bundle that inlines kafkajs must keep it external).
 */
export function installProduceEncoder(): void {
  if (installed) return;
  const group = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js');
  if (!require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')]) {
    require(group);
    require.cache[group]!.exports = groupMessagesPerPartition;
  }
  for (const v of VERSIONS) {
    const path = require.resolve(`${PRODUCE}/v${v}/request.js`);
    require(path);
    const cached = require.cache[path];
    if (!cached) throw new Error(`kafkajs module ${path} not in the require cache`);
    cached.exports = produceRequest(v);
  }
  installed = true;
}

installProduceEncoder();
