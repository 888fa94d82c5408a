import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../gateway/events/topics.js';
import type { OutboxRow } from '../gateway/store/store.js';
import { backlogStats } from '../sync/outbox.js';
import type { SyncConfigInput } from '../sync/schema.js';
import { startOwnKafka, type OwnKafka } from './support/kafka.js';
import { WINDOW_MS, syncedStore, until, windowsOf } from './support/sync-gateway.js';
import { consumeCommitted, expectExactlyOnceInOrder, kcatCommitted, type Delivered } from './support/sync-check.js';

// Tests that stop and restart a broker get their own (scripts/kafka.sh, port 0, own dir), not the suite's.
let kafka: OwnKafka;
const dir = mkdtempSync(path.join(tmpdir(), 'ucid-sync-outage-'));
const open: Array<ReturnType<typeof syncedStore>> = [];
const TOPIC_LIST = [TOPICS.scores, TOPICS.alerts];

beforeAll(async () => {
  kafka = await startOwnKafka();
});
afterAll(async () => {
  for (const gw of open) await gw.close();
  await kafka?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function gateway(id: string, overrides: SyncConfigInput = {}) {
  const gw = syncedStore(dir, id, { brokers: [kafka.bootstrap], createTopics: true, batchMaxEvents: 200, ...overrides });
  open.push(gw);
  return gw;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function verify(gatewayId: string, expected: readonly OutboxRow[]): Promise<Delivered[]> {
  const viaKafkajs = await consumeCommitted(kafka.bootstrap, TOPIC_LIST, gatewayId, expected.length);
  expectExactlyOnceInOrder(viaKafkajs, expected, 'kafkajs read_committed');
  expectExactlyOnceInOrder(await kcatCommitted(kafka.bootstrap, TOPIC_LIST, gatewayId, expected.length), expected, 'kcat read_committed');
  return viaKafkajs;
}

describe('sync worker against a Kafka broker that goes away (own broker)', () => {
  it('broker down while the gateway produces: the breaker opens, nothing is lost, all arrives once and in order when it is back', async () => {
    const gw = gateway('gw-outage');
    const t0 = Date.UTC(2026, 1, 1);
    gw.add(windowsOf('gw-outage', 5, t0, 0));
    await until('first drain', gw.drained);

    await kafka.stop();
    for (let i = 1; i <= 12; i++) {
      gw.add(windowsOf('gw-outage', 1, t0 + i * WINDOW_MS, i));
      await pause(250);
    }
    await until('breaker open', () => gw.worker.status().breaker === 'open');
    expect(gw.worker.status()).toMatchObject({ state: 'offline', lastError: { code: 'UPLINK_UNAVAILABLE' } });
    expect(backlogStats(gw.store.db).events).toBe(12 * 41);

    await kafka.start();
    await until('drained after the outage', gw.drained);
    expect(gw.worker.status()).toMatchObject({ state: 'online', breaker: 'closed' });
    await verify('gw-outage', gw.expected);
  }, 180000);

  it('broker stopped and restarted mid-drain, twice: no gap, no duplicate', async () => {
    const gw = gateway('gw-restart');
    gw.add(windowsOf('gw-restart', 150, Date.UTC(2026, 1, 2), 0));
    for (let round = 0; round < 2; round++) {
      const from = gw.delivered();
      await until('some progress', () => gw.delivered() > from + 600);
      await kafka.stop();
      await pause(500);
      await kafka.start();
    }
    await until('drained after restarts', gw.drained);
    await verify('gw-restart', gw.expected);
  }, 180000);

  it('small byte budget and a long outage: outbox stays within budget, alerts all arrive, gaps account for every dropped update', async () => {
    const budget = 400_000;
    const gw = gateway('gw-budget', { budget });
    const lastEnd = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    await kafka.stop();
    for (let hour = 47; hour >= 0; hour--) {
      gw.add(windowsOf('gw-budget', 12, lastEnd - hour * 3_600_000, 100 + hour));
      await until('compacted to budget', () => backlogStats(gw.store.db).bytes <= budget, 30_000);
    }
    expect(gw.worker.status().compacted.rolled_up + gw.worker.status().compacted.evicted).toBeGreaterThan(0);
    await kafka.start();
    await until('drained after the outage', gw.drained);

    const got = await consumeCommitted(kafka.bootstrap, TOPIC_LIST, 'gw-budget');
    const ids = got.map((d) => d.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    const alerts = gw.expected.filter((r) => r.kind === 'ThresholdAlert');
    expect(got.filter((d) => d.kind === 'ThresholdAlert').map((d) => d.eventId).sort()).toEqual(alerts.map((r) => r.eventId).sort());
    const gaps = got.filter((d) => d.kind === 'Gap').map((d) => d.value as { dropped: number; keys: Record<string, number>; reason: string });
    expect(gaps.length).toBeGreaterThan(0);
    const produced: Record<string, number> = {};
    for (const r of gw.expected.filter((e) => e.kind === 'ScoreUpdate')) produced[r.key] = (produced[r.key] ?? 0) + 1;
    const arrived: Record<string, number> = {};
    for (const d of got.filter((e) => e.kind === 'ScoreUpdate')) arrived[d.key] = (arrived[d.key] ?? 0) + 1;
    const dropped: Record<string, number> = {};
    for (const g of gaps) for (const [k, n] of Object.entries(g.keys)) dropped[k] = (dropped[k] ?? 0) + n;
    for (const key of Object.keys(produced)) expect((arrived[key] ?? 0) + (dropped[key] ?? 0), key).toBe(produced[key]);
    const want = new Set(gw.expected.map((r) => r.eventId));
    expect(got.filter((d) => d.kind !== 'Gap' && !want.has(d.eventId))).toEqual([]);
  }, 180000);
});
