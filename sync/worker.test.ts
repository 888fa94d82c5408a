import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from '../gateway/prometheus/registry.js';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../gateway/errors.js';
import { Store } from '../gateway/store/store.js';
import { alertRow, cells, scoreBacklog, writeRows } from '../test/support/outbox.js';
import { createSyncMetrics } from './metrics.js';
import { syncSchema } from './schema.js';
import type { RecordPosition, UplinkClient, UplinkRecord } from './uplink.js';
import { SyncWorker } from './worker.js';

/** An in-memory "Kafka" with the failure modes the worker must survive; the real broker is in test/sync-*.test.ts. */
class FakeUplink implements UplinkClient {
  committed: UplinkRecord[] = [];
  positions = new Map<string, boolean>();
  connectFailures = 0;
  /** 'lost-ack': commit happens but the client sees an error; 'before-commit': error before the commit. */
  nextFault: 'lost-ack' | 'before-commit' | null = null;
  maxRecords = Infinity;
  transactions: UplinkRecord[][] = [];
  private offset = 0;

  async connect() {
    if (this.connectFailures-- > 0) throw new GatewayError('UPLINK_UNAVAILABLE', 'cannot reach Kafka at fake:9092: ECONNREFUSED');
  }
  async ensureTopics() {}
  async sendTransaction(records: readonly UplinkRecord[], checkpoint: UplinkRecord, beforeCommit: (p: RecordPosition) => void | Promise<void>) {
    if (records.length > this.maxRecords) throw Object.assign(new Error('The request included a message larger than the max message size'), { type: 'MESSAGE_TOO_LARGE' });
    const position = { topic: checkpoint.topic, partition: 0, offset: String(this.offset++) };
    this.positions.set(position.offset, false);
    await beforeCommit(position);
    const fault = this.nextFault;
    this.nextFault = null;
    if (fault === 'before-commit') throw new GatewayError('UPLINK_UNAVAILABLE', 'connection closed');
    this.committed.push(...records);
    this.transactions.push([...records]);
    this.positions.set(position.offset, true);
    if (fault === 'lost-ack') throw new GatewayError('UPLINK_UNAVAILABLE', 'request timed out');
  }
  async isCommitted(p: RecordPosition) {
    return this.positions.get(p.offset) ?? false;
  }
  async close() {}
}

const dirs: string[] = [];
const workers: SyncWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(client: FakeUplink, events = 230, sync: object = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-worker-'));
  dirs.push(dir);
  const store = new Store(path.join(dir, 'gw.db'));
  const rows = [...scoreBacklog('gw-w', cells(5), ['CLIMATE'], events / 5, Date.UTC(2026, 0, 1)), alertRow('gw-w', 1)];
  writeRows(store, rows);
  const config = syncSchema.parse({ enabled: true, brokers: ['fake:9092'], batchMaxEvents: 50, pollInterval: '10ms', retry: { initial: '10ms', max: '40ms' }, compaction: { interval: '50ms' }, ...sync });
  const registry = new Registry();
  const metrics = createSyncMetrics([registry]);
  const worker = new SyncWorker(store, metrics, pino({ level: 'silent' }), { gatewayId: 'gw-w', config, client });
  workers.push(worker);
  return { store, rows, worker, registry };
}

async function until(what: string, done: () => boolean, ms = 10_000) {
  for (const end = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > end) throw new Error(`timed out: ${what}`);
}

const ids = (records: UplinkRecord[]) => records.map((r) => r.headers.event_id);

describe('SyncWorker', () => {
  it('drains the outbox in seq order, in batches, and empties it', async () => {
    const client = new FakeUplink();
    const { store, rows, worker, registry } = setup(client);
    worker.start();
    await until('drained', () => client.committed.length === rows.length);
    expect(ids(client.committed)).toEqual(rows.map((r) => r.eventId));
    await until('rows deleted', () => (store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n === 0);
    expect(store.db.prepare('SELECT events, bytes FROM outbox_stats').get()).toEqual({ events: 0, bytes: 0 });
    expect(worker.status()).toMatchObject({ state: 'online', breaker: 'closed', sent: rows.length });
    expect(JSON.parse(client.committed[0]!.value).published_at).toMatch(/^\d{4}-/);
    expect(await registry.getSingleMetricAsString('ucid_sync_sent_total')).toContain(`topic="ucid.processed.scores"} ${rows.length - 1}`);
  });

  it('opens the breaker while the uplink is down, keeps everything, and delivers it once when it is back', async () => {
    const client = new FakeUplink();
    client.connectFailures = 5;
    const { store, rows, worker } = setup(client);
    worker.start();
    await until('breaker open', () => worker.status().breaker === 'open');
    expect(worker.status()).toMatchObject({ state: 'offline', lastError: { code: 'UPLINK_UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') } });
    expect((store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(rows.length);
    await until('drained', () => client.committed.length === rows.length);
    expect(ids(client.committed)).toEqual(rows.map((r) => r.eventId));
    expect(worker.status().breaker).toBe('closed');
  });

  it('reads pages larger than its 1,000-row read slices whole, in order, within batchMaxBytes', async () => {
    const client = new FakeUplink();
    const { rows, worker } = setup(client, 3_000, { batchMaxEvents: 2_500 });
    worker.start();
    await until('drained', () => client.committed.length === rows.length);
    expect(ids(client.committed)).toEqual(rows.map((r) => r.eventId));
    expect(client.transactions.map((t) => t.length)).toEqual([2_500, rows.length - 2_500]);

    const bounded = new FakeUplink();
    const second = setup(bounded, 3_000, { batchMaxEvents: 5_000, batchMaxBytes: 700_000 });
    const bytes = new Map((second.store.db.prepare('SELECT event_id AS id, bytes FROM outbox').all() as Array<{ id: string; bytes: number }>).map((r) => [r.id, r.bytes]));
    second.worker.start();
    await until('drained', () => bounded.committed.length === second.rows.length);
    expect(ids(bounded.committed)).toEqual(second.rows.map((r) => r.eventId));
    const sizes = bounded.transactions.map((t) => t.reduce((sum, r) => sum + bytes.get(r.headers.event_id!)!, 0));
    expect(bounded.transactions.length).toBeGreaterThan(2);
    sizes.forEach((size, i) => {
      expect(size).toBeLessThanOrEqual(700_000);
      if (i < sizes.length - 1) expect(size + bytes.get(bounded.transactions[i + 1]![0]!.headers.event_id!)!).toBeGreaterThan(700_000);
    });
    expect(Math.max(...bounded.transactions.map((t) => t.length))).toBeGreaterThan(1_000);
  });

  it('halves its batches when the broker refuses one as too large', async () => {
    const client = new FakeUplink();
    client.maxRecords = 20;
    const { rows, worker } = setup(client);
    worker.start();
    await until('drained', () => client.committed.length === rows.length);
    expect(ids(client.committed)).toEqual(rows.map((r) => r.eventId));
  });

  it('settles an in-doubt batch from the checkpoint: a lost commit ack is not resent, an aborted batch is', async () => {
    const client = new FakeUplink();
    const { rows, worker } = setup(client);
    client.nextFault = 'lost-ack';
    worker.start();
    await until('drained', () => client.committed.length >= rows.length);
    expect(ids(client.committed)).toEqual(rows.map((r) => r.eventId));

    const again = new FakeUplink();
    const second = setup(again);
    again.nextFault = 'before-commit';
    second.worker.start();
    await until('drained', () => again.committed.length >= second.rows.length);
    expect(ids(again.committed)).toEqual(second.rows.map((r) => r.eventId));
  });
});
