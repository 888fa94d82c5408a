import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../gateway/events/topics.js';
import { Store, type OutboxRow } from '../gateway/store/store.js';
import { META } from '../sync/outbox.js';
import { SHARED_KAFKA } from './support/kafka.js';
import { alertRow, cells, scoreBacklog, writeRows } from './support/outbox.js';
import { killWorkerChildren, startWorkerChild } from './support/sync-child.js';
import { consumeCommitted, expectExactlyOnceInOrder, kcatCommitted } from './support/sync-check.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ucid-sync-crash-'));
afterAll(() => {
  killWorkerChildren();
  if (!process.env.UCID_SYNC_DEBUG) rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, done: () => boolean, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 25))) if (Date.now() > end) throw new Error(`timed out: ${what}`);
}

/** Rows as the pipeline would write them: score updates window by window, an alert now and then. */
function produce(gatewayId: string, windows: number, lastEnd: number, alertBase: number): OutboxRow[] {
  const rows = scoreBacklog(gatewayId, cells(20), ['CLIMATE', 'TRANSIT'], windows, lastEnd);
  for (let i = 0; i < 10; i++) rows.splice(Math.floor((i * rows.length) / 10), 0, alertRow(gatewayId, alertBase + i, lastEnd + i));
  return rows;
}

describe.skipIf(!SHARED_KAFKA)('sync worker SIGKILLed mid-drain (real Kafka, worker in a child process)', () => {
  it('no event missing and none duplicated for read_committed consumers (kafkajs and kcat)', async () => {
    const gatewayId = `gw-crash-${randomUUID().slice(0, 8)}`;
    if (process.env.UCID_SYNC_DEBUG) console.log('GATEWAY', gatewayId, dir);
    const db = path.join(dir, 'gw.db');
    const store = new Store(db);
    const sync = { enabled: true, brokers: [SHARED_KAFKA], createTopics: true, batchMaxEvents: 150, pollInterval: '50ms', retry: { initial: '100ms', max: '1s' } };
    const expected: OutboxRow[] = [];
    const add = (rows: OutboxRow[]) => {
      writeRows(store, rows);
      expected.push(...rows);
    };
    const delivered = () => Number(store.getMeta(META.delivered) ?? 0);
    const inflight = () => store.getMeta(META.inflight);
    const start = Date.UTC(2026, 0, 5);
    add(produce(gatewayId, 40, start, 0));

    // Crash points: after the batch is appended in Kafka (inflight recorded, not committed) and after the commit
    // (committed, not yet marked locally). Each restart must settle the batch from the Kafka side.
    const settled: string[] = [];
    for (const crash of ['after-append:2', 'after-commit:2', 'after-commit:1', 'after-append:1']) {
      const child = startWorkerChild(db, gatewayId, sync, { crash });
      const exit = await child.exit;
      expect(exit.signal, child.output.join('')).toBe('SIGKILL');
      expect(inflight(), `inflight recorded before ${crash}`).toBeDefined();
      settled.push(/in-doubt batch was (not committed|committed)/.exec(child.output.join(''))?.[1] ?? 'none');
    }
    expect(settled).toEqual(['none', 'not committed', 'committed', 'committed']);

    // Then SIGKILL at arbitrary moments while it drains and the "pipeline" keeps adding events.
    for (let round = 0; round < 4; round++) {
      add(produce(gatewayId, 6, start + (round + 1) * 3_600_000, 100 + round * 10));
      const from = delivered();
      const child = startWorkerChild(db, gatewayId, sync);
      await until('progress before the kill', () => delivered() > from);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
      child.kill('SIGKILL');
      expect((await child.exit).signal).toBe('SIGKILL');
    }

    const last = startWorkerChild(db, gatewayId, sync, { exitWhenDrained: true });
    const exit = await last.exit;
    expect(exit.code, last.output.join('')).toBe(0);
    expect((store.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(0);
    store.close();

    const topics = [TOPICS.scores, TOPICS.alerts];
    const viaKafkajs = await consumeCommitted(SHARED_KAFKA, topics, gatewayId, expected.length);
    const viaKcat = await kcatCommitted(SHARED_KAFKA, topics, gatewayId, expected.length);
    if (process.env.UCID_SYNC_DEBUG) console.log('COUNTS', expected.length, viaKafkajs.length, viaKcat.length);
    expectExactlyOnceInOrder(viaKafkajs, expected, 'kafkajs read_committed');
    expectExactlyOnceInOrder(viaKcat, expected, 'kcat read_committed');
  }, 240000);
});
