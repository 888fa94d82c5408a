import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
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

// Start-up (docs/operations.md "Start-up time"): a clean stop saves the window engine; the next start uses it
// instead of replaying, and must end up where a replay would.
const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const SENSORS = ['s1', 's2', 's3'];
const MINUTE = 60_000;

function open(file: string) {
  const config = resolveConfig({
    gateway: { dataDir: path.dirname(file) }, store: { reserve: 0, path: file },
    sensors: SENSORS.map((id, i) => ({ id, lat: 41.015 + i * 0.01, lon: 28.979 })),
  });
  const store = new Store(file);
  stores.push(store);
  return { store, ...buildPipeline(config, store, new GatewayBus(), createMetrics(), pino({ level: 'silent' })) };
}

const T = Math.floor((Date.now() - 90 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
const reading = (sensorId: string, metric: string, ts: number, value: number, receivedAt: number): Reading => ({
  sensorId, metric, value, unit: metric === 'pm25' ? 'ugm3' : 'C', ts, tsFromArrival: false, quality: 'good', source: 'test', receivedAt,
});

/** Minutes [from, to) of every sensor's pm25 and temperature, arriving 2 s after their event time; s3 skips some. */
function minutes(from: number, to: number): Reading[] {
  const out: Reading[] = [];
  for (let m = from; m < to; m++) {
    for (const [i, id] of SENSORS.entries()) {
      if (id === 's3' && m % 7 > 3) continue;
      const ts = T + m * MINUTE + i * 1_000;
      out.push(reading(id, 'pm25', ts, 10 + ((m * 7 + i) % 23), ts + 2_000), reading(id, 'temperature', ts, 15 + (m % 5), ts + 2_000));
    }
  }
  return out;
}

function windowRows(store: Store): unknown[] {
  return store.db.prepare('SELECT * FROM window_results ORDER BY kind, sensor_id, metric, start_ms').all();
}

describe('start-up after a clean stop', () => {
  it('restores the saved window engine, and continues as a replay would', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-restart-'));
    dirs.push(dir);
    const file = path.join(dir, 'gateway.db');
    const first = open(file);
    expect(first.pipeline.restoreOrRebuild()).toMatchObject({ from: 'replay', readings: 0 });
    for (let m = 0; m < 60; m += 10) await first.pipeline.submit(minutes(m, m + 10));
    await first.pipeline.stop();
    first.store.close();
    copyFileSync(file, path.join(dir, 'crashed.db'));

    // later readings: on time, one late that revises a closed window, one that closes the open ones
    const after = [...minutes(60, 67), reading('s1', 'pm25', T + 52 * MINUTE, 90, T + 67 * MINUTE + 5_000), ...minutes(67, 80)];

    const restarted = open(file);
    expect(restarted.pipeline.restoreOrRebuild()).toMatchObject({ from: 'snapshot', readings: 0 });
    for (let i = 0; i < after.length; i += 50) await restarted.pipeline.submit(after.slice(i, i + 50));

    const crashed = open(path.join(dir, 'crashed.db'));
    expect(crashed.store.takeWindowSnapshot()).toBeInstanceOf(Buffer); // as if the stop had not saved one
    expect(crashed.pipeline.restoreOrRebuild()).toMatchObject({ from: 'replay', readings: minutes(0, 60).length });
    for (let i = 0; i < after.length; i += 50) await crashed.pipeline.submit(after.slice(i, i + 50));

    const revised = restarted.store.db.prepare("SELECT revision FROM window_results WHERE kind = 'tumbling' AND sensor_id = 's1' AND metric = 'pm25' AND start_ms = ?").get(T + 50 * MINUTE);
    expect(revised).toEqual({ revision: 1 });
    expect(windowRows(restarted.store).length).toBeGreaterThan(50);
    expect(windowRows(restarted.store)).toEqual(windowRows(crashed.store));
  });

  it('replays when the snapshot is stale, corrupt or missing, and uses a snapshot once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-restart-'));
    dirs.push(dir);
    const file = path.join(dir, 'gateway.db');
    const stopAndReopen = async (p: ReturnType<typeof open>) => {
      await p.pipeline.stop();
      p.store.close();
      return open(file);
    };
    let p = open(file);
    p.pipeline.restoreOrRebuild();
    await p.pipeline.submit(minutes(0, 10));
    p = await stopAndReopen(p);
    p.store.insertReading(reading('s1', 'pm25', T + 11 * MINUTE, 5, T + 11 * MINUTE), 'on_time'); // written by something else after the stop
    expect(p.pipeline.restoreOrRebuild()).toMatchObject({ from: 'replay', snapshotRejected: expect.stringMatching(/readings changed/) });

    p = await stopAndReopen(p);
    const saved = p.store.takeWindowSnapshot()!;
    saved[saved.length - 40] ^= 0xff;
    p.store.saveWindowSnapshot(saved);
    expect(p.pipeline.restoreOrRebuild()).toMatchObject({ from: 'replay', snapshotRejected: 'checksum mismatch' });

    p = await stopAndReopen(p);
    expect(p.pipeline.restoreOrRebuild()).toMatchObject({ from: 'snapshot' });
    p.store.close();
    p = open(file);
    expect(p.pipeline.restoreOrRebuild()).toMatchObject({ from: 'replay', readings: minutes(0, 10).length + 1 });
  });
});

describe('start-up after a crash (replay), sensors silent since before the replay start', () => {
  // Their readings are older than the replay; only the newest used to be replayed, so its windows were rebuilt
  // with that one reading, and the first tick emitted them over the whole windows stored before the crash.
  const OLD = Math.floor((Date.now() - 4 * 60 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
  const burst = (sensorId: string) => [0, 1, 2, 3].map((k) => reading(sensorId, 'pm25', OLD + k * MINUTE, 20 + k, OLD + k * MINUTE + 1_000));
  const tumbling = (store: Store, sensorId: string) => store.db.prepare(
    "SELECT count, revision FROM window_results WHERE kind = 'tumbling' AND sensor_id = ? AND metric = 'pm25' AND start_ms = ?").get(sensorId, OLD);

  it('keeps a window emitted before the crash whole, and emits a window left open by the crash whole', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-restart-'));
    dirs.push(dir);
    const file = path.join(dir, 'gateway.db');
    const first = open(file);
    first.pipeline.restoreOrRebuild();
    await first.pipeline.submit(burst('s1'));
    first.pipeline.tick(OLD + 30 * MINUTE); // s1 idle: its window closes before the crash
    await first.pipeline.submit(burst('s2')); // s2's stays open: the gateway dies first
    expect(tumbling(first.store, 's1')).toEqual({ count: 4, revision: 0 });
    expect(tumbling(first.store, 's2')).toBeUndefined();
    first.store.close();

    const restarted = open(file);
    expect(restarted.pipeline.restoreOrRebuild()).toMatchObject({ from: 'replay' });
    restarted.pipeline.tick(Date.now());
    expect(tumbling(restarted.store, 's1')).toEqual({ count: 4, revision: 0 });
    expect(tumbling(restarted.store, 's2')).toEqual({ count: 4, revision: 0 });
  });
});
