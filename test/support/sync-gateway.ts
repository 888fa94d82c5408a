import path from 'node:path';
import { pino } from 'pino';
import { Registry } from '../../gateway/prometheus/registry.js';
import { Store, type OutboxRow } from '../../gateway/store/store.js';
import { createSyncMetrics } from '../../sync/metrics.js';
import { META, backlogStats } from '../../sync/outbox.js';
import { syncSchema, type SyncConfigInput } from '../../sync/schema.js';
import { SyncWorker } from '../../sync/worker.js';
import { WINDOW_MS, alertRow, cells, scoreBacklog, writeRows } from './outbox.js';

/** A store plus the real sync worker on it, in this process (as in the gateway); rows go in through Store. */
export function syncedStore(dir: string, gatewayId: string, sync: SyncConfigInput) {
  const store = new Store(path.join(dir, `${gatewayId}.db`));
  const config = syncSchema.parse({ enabled: true, pollInterval: '50ms', retry: { initial: '200ms', max: '2s' }, compaction: { interval: '100ms' }, ...sync });
  const worker = new SyncWorker(store, createSyncMetrics([new Registry()]), pino({ level: process.env.UCID_SYNC_TEST_LOG ?? 'silent' }), { gatewayId, config }).start();
  const expected: OutboxRow[] = [];
  return {
    store, worker, expected,
    add(rows: OutboxRow[]) {
      writeRows(store, rows);
      expected.push(...rows);
    },
    delivered: () => Number(store.getMeta(META.delivered) ?? 0),
    drained: () => backlogStats(store.db).events === 0 && store.getMeta(META.inflight) === undefined,
    events: () => backlogStats(store.db).events,
    async close() {
      await worker.stop();
      store.close();
    },
  };
}

export async function until(what: string, done: () => boolean, ms = 90_000): Promise<void> {
  for (const end = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 50))) if (Date.now() > end) throw new Error(`timed out: ${what}`);
}

const cellList = cells(20);

/** `n` windows of score updates for 20 cells × 2 contexts ending at `lastEnd`, with one alert in the middle. */
export function windowsOf(gatewayId: string, n: number, lastEnd: number, alertBase: number): OutboxRow[] {
  const rows = scoreBacklog(gatewayId, cellList, ['CLIMATE', 'TRANSIT'], n, lastEnd);
  rows.splice(rows.length >> 1, 0, alertRow(gatewayId, alertBase, lastEnd));
  return rows;
}

export { WINDOW_MS };
