import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Store } from '../gateway/store/store.js';

const storeModule = fileURLToPath(new URL('../dist/gateway/store/store.js', import.meta.url));

/**
 * A built Store in a child that commits `commits` batches of 50 readings over 100 keys (and one reading of a key
 * that never gets another), then kills itself with SIGKILL: the readings index's waiting entries die with it.
 */
function commitThenCrash(file: string, commits: number): void {
  const script = `
    const { Store } = await import(${JSON.stringify(storeModule)});
    const store = new Store(${JSON.stringify(file)});
    const reading = (sensorId, ts) => ({ sensorId, metric: 'pm25', value: ts % 13, unit: 'ugm3', ts, quality: 'good', source: 'test', receivedAt: ts });
    store.transaction(() => store.insertReading(reading('quiet', 0), 'on_time'));
    let n = 0;
    for (let c = 0; c < ${commits}; c++) {
      store.transaction(() => { for (let i = 0; i < 50; i++, n++) store.insertReading(reading('s' + (n % 100), 1 + n), 'on_time'); });
    }
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.signal, child.stderr).toBe('SIGKILL');
}

const rows = (store: Store, table: string) => store.db.prepare(`SELECT sensor_id, metric, ts, id FROM ${table} ORDER BY id`).raw().all();

describe('the readings index after a crash (SIGKILL of a built store)', () => {
  it('finds what the crash left unindexed, answers queries with it, and writes it before closing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-index-crash-'));
    const file = path.join(dir, 'gateway.db');
    commitThenCrash(file, 900); // 45,001 readings: past two sweeps, so the quiet key was written by its lag
    const store = new Store(file);
    try {
      expect(store.unindexedAtOpen).toBeGreaterThan(0);
      expect(store.unindexedAtOpen).toBeLessThan(30_000);
      for (const sensor of ['quiet', 's0', 's57', 's99']) {
        const all = store.db.prepare("SELECT ts FROM readings NOT INDEXED WHERE sensor_id = ? AND metric = 'pm25' ORDER BY ts").pluck().all(sensor) as number[];
        expect(store.newestReadingTs(sensor, 'pm25')).toBe(all.at(-1));
        expect(store.readingHistory(sensor, 'pm25', 0, 10_000).map((r) => r.ts)).toEqual(all);
        expect(store.latestReadingBefore(sensor, 'pm25', all.at(-1)!)?.ts).toBe(all.at(-2));
      }
    } finally {
      store.close();
    }
    const reopened = new Store(file);
    try {
      expect(reopened.unindexedAtOpen).toBe(0);
      expect(rows(reopened, 'reading_index')).toEqual(rows(reopened, 'readings'));
    } finally {
      reopened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
