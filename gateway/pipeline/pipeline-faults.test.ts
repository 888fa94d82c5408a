import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayBus } from '../bus.js';
import { resolveConfig } from '../config/load.js';
import { createMetrics } from '../metrics.js';
import type { Reading } from '../reading.js';
import { Store } from '../store/store.js';
import { buildPipeline } from './build.js';

// Faults found by the chaos suite (issue 8): what a failed commit leaves behind in memory.
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-pipeline-faults-'));
  dirs.push(dir);
  const config = resolveConfig({ gateway: { dataDir: dir }, store: { reserve: 0 }, sensors: [{ id: 's1', lat: 41.015, lon: 28.979 }] });
  const store = new Store(config.store.path);
  stores.push(store);
  const built = buildPipeline(config, store, new GatewayBus(), createMetrics(), pino({ level: 'silent' }));
  built.pipeline.rebuild();
  // The next `n` transactions run their work and then fail at commit, as SQLITE_FULL does.
  const original = store.transaction.bind(store);
  let failures = 0;
  let failWith = 'SQLITE_FULL';
  store.transaction = <T>(work: () => T): T => {
    if (failures <= 0) return original(work);
    failures--;
    return original(() => {
      work();
      throw Object.assign(new Error(`commit failed (${failWith})`), { code: failWith });
    });
  };
  return { ...built, store, failNext: (n: number, code = 'SQLITE_FULL') => void ((failures = n), (failWith = code)) };
}

const WINDOW = 300_000;
const reading = (ts: number, value: number): Reading => ({
  sensorId: 's1', metric: 'pm25', value, unit: 'ugm3', ts, tsFromArrival: false, quality: 'good', source: 'test', receivedAt: Date.now(),
});

describe('pipeline after a failed commit', () => {
  it('a rebuild that fails too is retried before the next commit: windows never commit from a half-replayed engine', async () => {
    const { pipeline, store, failNext } = setup();
    const start = Math.floor((Date.now() - 12 * 60_000) / WINDOW) * WINDOW;
    // more readings than one replay page (5,000), all in one tumbling window
    await pipeline.submit(Array.from({ length: 6_000 }, (_, i) => reading(start + i, 10)));
    failNext(2); // the next batch's commit, then the first page of the rebuild it triggers
    await expect(pipeline.submit([reading(start + 6_000, 10)])).rejects.toMatchObject({ code: 'STORE_FULL' });
    await new Promise((r) => setTimeout(r, 1_100)); // the disk-full policy holds readings back for a second after SQLITE_FULL
    // a reading well past the window's end closes it
    await pipeline.submit([reading(start + WINDOW + 60_000, 10)]);
    const row = store.db.prepare("SELECT count FROM window_results WHERE kind = 'tumbling' AND sensor_id = 's1' AND start_ms = ?").get(start) as { count: number } | undefined;
    expect(row?.count).toBe(6_000);
  });

  it('every input waiting on a commit that fails is refused with its error; input after it commits', async () => {
    const { pipeline, store, failNext } = setup();
    const now = Date.now();
    failNext(1, 'SQLITE_IOERR');
    const waiting = [
      pipeline.submit([reading(now - 2_000, 1)]),
      pipeline.submit([reading(now - 1_000, 2), reading(now - 900, 3)]),
      pipeline.reject({ source: 'test', reason: 'not a number', origin: 'sensors/pm25/s1', payload: 'x' }),
    ];
    for (const input of waiting) await expect(input).rejects.toMatchObject({ code: 'STORE_FAILED' });
    await Promise.all([pipeline.submit([reading(now - 500, 4)]), pipeline.reject({ source: 'test', reason: 'not a number', origin: 'sensors/pm25/s1', payload: 'y' })]);
    expect(store.db.prepare('SELECT value FROM readings').all()).toEqual([{ value: 4 }]);
    expect(store.db.prepare('SELECT CAST(payload AS TEXT) AS payload FROM quarantine').all()).toEqual([{ payload: 'y' }]);
  });

  it('a driver that went down before a failed tick still raises DataSourceDown on the next tick', () => {
    const { pipeline, alerts, store, failNext } = setup();
    alerts.noteDriverState('plc', 'down');
    failNext(1);
    pipeline.tick();
    expect(store.db.prepare("SELECT count(*) AS n FROM alert_events WHERE key = 'down|driver:plc'").get()).toEqual({ n: 0 });
    pipeline.tick();
    expect(store.db.prepare("SELECT state FROM alert_events WHERE key = 'down|driver:plc'").all()).toEqual([{ state: 'raised' }]);
  });
});
