import { describe, expect, it } from 'vitest';
import { WindowEngine } from './engine.js';
import { DEFAULT_WINDOW_SPEC, type WindowSpec } from './spec.js';
import { MIN, T0, naiveStats, ofKind, reading, rng } from './test-support.js';
import type { WindowResult } from './types.js';

const SLIDING_ONLY: WindowSpec = { ...DEFAULT_WINDOW_SPEC, sessionGapMs: null };

function engine(spec: WindowSpec = SLIDING_ONLY): WindowEngine {
  return new WindowEngine({ specFor: () => spec });
}

describe('sliding windows (15 min every 1 min)', () => {
  it('produce the moving average of one reading per minute', () => {
    const e = engine();
    const results: WindowResult[] = [];
    for (let k = 0; k < 30; k++) results.push(...e.add(reading(T0 + k * MIN + 10_000, k)).results);
    let sliding = ofKind(results, 'sliding');
    // watermark T0+28:40: windows ending T0+1min … T0+28min have closed
    expect(sliding.map((w) => (w.endMs - T0) / MIN)).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
    expect(sliding.every((w) => w.endMs - w.startMs === 15 * MIN && w.revision === 0)).toBe(true);
    expect(sliding[0]).toMatchObject({ startMs: T0 - 14 * MIN, count: 1, mean: 0, last: 0 });
    expect(sliding[14]).toMatchObject({ endMs: T0 + 15 * MIN, count: 15, mean: 7, min: 0, max: 14, last: 14 });
    expect(sliding[19]).toMatchObject({ endMs: T0 + 20 * MIN, count: 15, mean: 12, min: 5, max: 19, last: 19 });
    // population stddev of 15 consecutive integers: sqrt((15^2 - 1) / 12)
    expect(sliding[19].stddev).toBeCloseTo(Math.sqrt(224 / 12), 12);
    sliding = ofKind(e.tick(T0 + 60 * MIN), 'sliding');
    expect(sliding.map((w) => (w.endMs - T0) / MIN)).toEqual(Array.from({ length: 16 }, (_, i) => i + 29));
    expect(sliding[15]).toMatchObject({ endMs: T0 + 44 * MIN, count: 1, mean: 29 });
    expect(e.stats().panes).toBe(0);
  });

  it('match a naive oracle on a random in-order stream with gaps', () => {
    const e = engine();
    const next = rng(11);
    const raw: Array<{ ts: number; value: number }> = [];
    const results: WindowResult[] = [];
    let ts = T0;
    while (ts < T0 + 180 * MIN) {
      ts += next() < 0.02 ? 20 * MIN : 1 + Math.floor(next() * 15_000);
      const value = Math.round(next() * 1e5) / 100;
      raw.push({ ts, value });
      results.push(...e.add(reading(ts, value)).results);
    }
    const sliding = ofKind(results, 'sliding');
    const expectedEnds = new Set<number>();
    for (const r of raw) {
      for (let end = Math.floor(r.ts / MIN) * MIN + MIN; end <= Math.floor(r.ts / MIN) * MIN + 15 * MIN; end += MIN) {
        if (end <= ts - 30_000) expectedEnds.add(end);
      }
    }
    expect(sliding.map((w) => w.endMs)).toEqual([...expectedEnds].sort((a, b) => a - b));
    for (const w of sliding) {
      const inside = raw.filter((r) => r.ts >= w.startMs && r.ts < w.endMs);
      const oracle = naiveStats(inside.map((r) => r.value));
      expect(w.count).toBe(inside.length);
      expect(w.mean).toBeCloseTo(oracle.mean, 8);
      expect(w.stddev).toBeCloseTo(oracle.stddev, 8);
      expect([w.min, w.max, w.last]).toEqual([oracle.min, oracle.max, inside[inside.length - 1].value]);
    }
  });

  it('are not revised by late readings, which still reach the windows that are open', () => {
    const e = engine();
    e.add(reading(T0 + 30_000, 10));
    e.add(reading(T0 + 3 * MIN, 20));
    const late = e.add(reading(T0 + 40_000, 40, { receivedAt: T0 + 3 * MIN }));
    // wm T0+2:30: the windows ending T0+1min and T0+2min closed without it
    expect(late.status).toBe('on_time');
    expect(late.results).toEqual([]);
    const results = ofKind(e.tick(T0 + 30 * MIN), 'sliding');
    expect(results.find((w) => w.endMs === T0 + 3 * MIN)).toMatchObject({ count: 2, mean: 25 });
    expect(results.find((w) => w.endMs === T0 + 4 * MIN)).toMatchObject({ count: 3, mean: 70 / 3 });
  });

  it('keep only the panes of open windows', () => {
    const e = engine();
    for (let i = 0; i < 2_000; i++) e.add(reading(T0 + i * 5_000, i));
    // 15 panes of open windows, plus the pane of the newest readings ahead of the watermark
    expect(e.stats().panes).toBeLessThanOrEqual(16);
  });
});
