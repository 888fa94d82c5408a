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

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A pipeline over a fresh store with these `store` settings, and a count of the readings it has committed. */
function pipelineWith(store: Record<string, unknown>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-batch-cap-'));
  dirs.push(dir);
  const config = resolveConfig({ gateway: { dataDir: dir }, store: { reserve: 0, ...store }, sensors: [{ id: 's1', lat: 41.015, lon: 28.979 }] });
  const db = new Store(config.store.path);
  stores.push(db);
  const { pipeline } = buildPipeline(config, db, new GatewayBus(), createMetrics(), pino({ level: 'silent' }));
  pipeline.rebuild();
  const count = () => (db.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  return { pipeline, count };
}

const reading = (i: number): Reading => ({
  sensorId: 's1', metric: 'pm25', value: i, unit: 'ugm3', ts: Date.now() - 1_000 + i, tsFromArrival: false, quality: 'good', source: 'test', receivedAt: Date.now(),
});

describe('store.maxBatchReadings', () => {
  it('a batch that reaches it commits at once, in the same turn, and only then resolves', async () => {
    const { pipeline, count } = pipelineWith({ maxBatchReadings: 10 });

    const below = pipeline.submit(Array.from({ length: 9 }, (_, i) => reading(i)));
    expect(count()).toBe(0); // below the cap: waits for the loop turn
    let resolved = false;
    const atCap = pipeline.submit([reading(9)]).then(() => { resolved = true; });
    expect(count()).toBe(10); // committed before submit returned
    expect(resolved).toBe(false); // acknowledged only after, as a promise reaction
    await Promise.all([below, atCap]);
    expect(pipeline.pendingCount).toBe(0);
  });
});

describe('store.commitNowAtReadings', () => {
  it('cuts a store.minCommitInterval wait short once that many readings wait, and not before', async () => {
    const { pipeline, count } = pipelineWith({ minCommitInterval: '1h', commitNowAtReadings: 5, readingsPerCommit: 1_000_000 });
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    await pipeline.submit([reading(0)]); // the first commit has nothing to space from
    expect(count()).toBe(1);
    const lingering = pipeline.submit([reading(1), reading(2), reading(3)]);
    await turn();
    await turn();
    expect(count()).toBe(1); // 3 waiting: the interval holds
    const enough = pipeline.submit([reading(4)]);
    await turn();
    expect(count()).toBe(1); // 4
    const fifth = pipeline.submit([reading(5)]);
    await Promise.all([lingering, enough, fifth]);
    expect(count()).toBe(6); // 5 waiting: committed in the next turn, not an hour later
  });
});

describe('store.readingsPerCommit', () => {
  /** ~1,000 readings/s for `ms` (5 every 5 ms); how many were committed when the last was submitted. */
  async function steadyLoad(store: { readingsPerCommit: number }, ms: number): Promise<{ submitted: number; committed: number }> {
    const { pipeline, count } = pipelineWith({ minCommitInterval: '1h', commitNowAtReadings: 100_000, maxBatchReadings: 100_000, ...store });
    const acks: Promise<void>[] = [];
    let submitted = 0;
    const started = performance.now();
    while (performance.now() - started < ms) {
      acks.push(pipeline.submit(Array.from({ length: 5 }, () => reading(submitted++))));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const committed = count();
    await pipeline.stop();
    await Promise.all(acks);
    return { submitted, committed };
  }

  it('brings a store.minCommitInterval wait forward to the time that many readings take at the recent rate', async () => {
    const held = await steadyLoad({ readingsPerCommit: 1_000_000 }, 800);
    expect(held.committed).toBe(5); // only the first batch: the rest waits out the hour
    const paced = await steadyLoad({ readingsPerCommit: 20 }, 800);
    expect(paced.committed).toBeGreaterThan(paced.submitted / 2);
  });
});
