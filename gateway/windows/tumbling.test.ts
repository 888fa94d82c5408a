import { describe, expect, it } from 'vitest';
import { WindowEngine } from './engine.js';
import { DEFAULT_WINDOW_SPEC, type WindowSpec } from './spec.js';
import { MIN, T0, naiveStats, ofKind, reading, rng } from './test-support.js';
import type { WindowResult } from './types.js';

const TUMBLING_ONLY: WindowSpec = { ...DEFAULT_WINDOW_SPEC, sliding: null, sessionGapMs: null };

function engine(spec: WindowSpec = TUMBLING_ONLY): WindowEngine {
  return new WindowEngine({ specFor: () => spec });
}

function feed(e: WindowEngine, ...rs: Parameters<typeof reading>[]): WindowResult[] {
  const out: WindowResult[] = [];
  for (const args of rs) out.push(...e.add(reading(...args)).results);
  return out;
}

describe('tumbling windows', () => {
  it('close in order with exact aggregates', () => {
    const e = engine();
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const early = feed(e, ...values.map((v, i): [number, number] => [T0 + i * 30_000, v]));
    expect(early).toEqual([]);
    const { status, results } = e.add(reading(T0 + 5 * MIN + 30_000, 100));
    expect(status).toBe('on_time');
    expect(results).toEqual([
      {
        kind: 'tumbling',
        sensorId: 's1',
        metric: 'pm25',
        startMs: T0,
        endMs: T0 + 5 * MIN,
        revision: 0,
        count: 8,
        mean: 5,
        min: 2,
        max: 9,
        last: 9,
        stddev: 2,
        uncertainCount: 0,
        badCount: 0,
        firstTs: T0,
        lastTs: T0 + 210_000,
      },
    ]);
  });

  it('closes exactly when the watermark reaches the end', () => {
    const e = engine();
    e.add(reading(T0, 1));
    expect(e.add(reading(T0 + 5 * MIN + 29_999, 1)).results).toEqual([]);
    expect(e.watermarkMs('s1', 'pm25')).toBe(T0 + 5 * MIN - 1);
    expect(e.add(reading(T0 + 5 * MIN + 30_000, 1)).results).toHaveLength(1);
  });

  it('takes last from the highest event time, ties to the later arrival, and counts uncertain readings', () => {
    const e = engine();
    const results = feed(
      e,
      [T0 + 2 * MIN, 1],
      [T0 + 2 * MIN, 3, { quality: 'uncertain' }],
      [T0 + 1 * MIN, 7],
      [T0 + 11 * MIN, 0],
    );
    expect(results[0]).toMatchObject({ count: 3, last: 3, uncertainCount: 1, firstTs: T0 + MIN, lastTs: T0 + 2 * MIN });
  });

  it('matches a naive oracle on a long random in-order stream', () => {
    const e = engine();
    const next = rng(7);
    const raw: Array<{ ts: number; value: number }> = [];
    const results: WindowResult[] = [];
    for (let ts = T0; ts < T0 + 240 * MIN; ts += 1 + Math.floor(next() * 20_000)) {
      const value = Math.round((next() * 200 - 50) * 1000) / 1000 + 1e6;
      raw.push({ ts, value });
      results.push(...e.add(reading(ts, value)).results);
    }
    expect(results.length).toBeGreaterThan(40);
    for (const w of results) {
      const inside = raw.filter((r) => r.ts >= w.startMs && r.ts < w.endMs);
      const oracle = naiveStats(inside.map((r) => r.value));
      expect(w.count).toBe(inside.length);
      expect(w.mean).toBeCloseTo(oracle.mean, 6);
      expect(w.stddev).toBeCloseTo(oracle.stddev, 6);
      expect([w.min, w.max]).toEqual([oracle.min, oracle.max]);
      expect(w.last).toBe(inside[inside.length - 1].value);
    }
  });

  it('aggregates out-of-order readings whose window is still open, even behind the watermark', () => {
    const e = engine();
    feed(e, [T0 + 4 * MIN + 50_000, 10], [T0 + 5 * MIN + 10_000, 99]);
    expect(e.watermarkMs('s1', 'pm25')).toBe(T0 + 4 * MIN + 40_000);
    expect(e.add(reading(T0 + 4 * MIN + 55_000, 20)).status).toBe('on_time');
    expect(e.add(reading(T0 + 4 * MIN + 30_000, 30)).status).toBe('on_time');
    const [w] = feed(e, [T0 + 6 * MIN, 1]);
    expect(w).toMatchObject({ startMs: T0, count: 3, mean: 20, last: 20, firstTs: T0 + 4 * MIN + 30_000 });
  });

  it('re-emits a closed window with a higher revision for a late reading inside the horizon', () => {
    const e = engine();
    feed(e, [T0 + MIN, 10], [T0 + 2 * MIN, 20]);
    const closed = feed(e, [T0 + 20 * MIN, 0]);
    expect(closed[0]).toMatchObject({ startMs: T0, revision: 0, count: 2, mean: 15 });
    const late = e.add(reading(T0 + 3 * MIN, 60, { receivedAt: T0 + 20 * MIN }));
    expect(late.status).toBe('late_revised');
    expect(late.results).toEqual([
      expect.objectContaining({ startMs: T0, endMs: T0 + 5 * MIN, revision: 1, count: 3, mean: 30, max: 60, last: 60 }),
    ]);
    const again = e.add(reading(T0 + 30_000, 2, { receivedAt: T0 + 20 * MIN }));
    expect(again.results[0]).toMatchObject({ revision: 2, count: 4, mean: 23, min: 2, last: 60 });
  });

  it('drops a late reading beyond the revision horizon and forgets those windows', () => {
    const e = engine();
    feed(e, [T0 + MIN, 10], [T0 + 65 * MIN, 0]);
    expect(e.stats().closedTumbling).toBe(1);
    expect(e.add(reading(T0 + 2 * MIN, 5)).status).toBe('late_revised');
    // now the end T0+5min is 1h30s behind the watermark T0+65:30: out of the 1 h horizon
    feed(e, [T0 + 66 * MIN, 0]);
    expect(e.stats().closedTumbling).toBe(0);
    expect(e.add(reading(T0 + 2 * MIN, 5))).toEqual({ status: 'late_dropped', results: [] });
  });

  it('emits revision 0 for a late reading into a window inside the horizon that never opened', () => {
    const e = engine();
    feed(e, [T0, 1], [T0 + 30 * MIN, 1]);
    const late = e.add(reading(T0 + 12 * MIN, 7));
    expect(late.status).toBe('late_revised');
    expect(late.results).toEqual([expect.objectContaining({ startMs: T0 + 10 * MIN, revision: 0, count: 1, mean: 7 })]);
  });

  it('counts bad readings without aggregating them, and does not emit a window of bad readings only', () => {
    const e = engine();
    const results = feed(
      e,
      [T0, 10],
      [T0 + MIN, 1e9, { quality: 'bad' }],
      [T0 + 2 * MIN, 20],
      [T0 + 6 * MIN, -1, { quality: 'bad' }],
      [T0 + 12 * MIN, 5],
    );
    expect(results).toEqual([expect.objectContaining({ startMs: T0, count: 2, mean: 15, max: 20, badCount: 1 })]);
    // the bad-only window [5, 10) may still be revised: its first emission is revision 0
    expect(e.add(reading(T0 + 7 * MIN, 3)).results).toEqual([
      expect.objectContaining({ startMs: T0 + 5 * MIN, revision: 0, count: 1, badCount: 1 }),
    ]);
    // a late bad reading re-emits a window that has values
    expect(e.add(reading(T0 + 3 * MIN, 0, { quality: 'bad' })).results).toEqual([
      expect.objectContaining({ startMs: T0, revision: 1, count: 2, badCount: 2 }),
    ]);
  });

  it('rejects non-finite readings and invalid specs', () => {
    expect(() => engine().add(reading(Number.NaN, 1))).toThrow(RangeError);
    expect(() => engine().add(reading(T0, Number.POSITIVE_INFINITY))).toThrow(RangeError);
    expect(engine().add(reading(T0, Number.NaN, { quality: 'bad' })).status).toBe('on_time');
    const bad = engine({ ...TUMBLING_ONLY, sliding: { sizeMs: 900_000, slideMs: 70_000 } });
    expect(() => bad.add(reading(T0, 1))).toThrow(/sliding.sizeMs must be a multiple/);
  });
});

describe('idle advancement', () => {
  it('tick closes the window of a sensor that went silent', () => {
    const e = engine();
    e.add(reading(T0 + MIN, 4, { receivedAt: T0 + MIN + 500 }));
    expect(e.tick(T0 + MIN + 59_000)).toEqual([]);
    expect(e.tick(T0 + 5 * MIN + 30_000)).toEqual([]);
    expect(e.watermarkMs('s1', 'pm25')).toBe(T0 + 5 * MIN - 500);
    const closed = e.tick(T0 + 5 * MIN + 30_500);
    expect(closed).toEqual([expect.objectContaining({ startMs: T0, count: 1, mean: 4 })]);
    expect(e.snapshotOpen()).toEqual([]);
  });

  it('applies the same advance at the next reading of the key, so ticks only change when windows close', () => {
    const ticked = engine(DEFAULT_WINDOW_SPEC);
    const unticked = engine(DEFAULT_WINDOW_SPEC);
    const first = reading(T0 + MIN, 4);
    const next = reading(T0 + 14 * MIN, 8, { receivedAt: T0 + 20 * MIN });
    ticked.add(first);
    unticked.add(first);
    const byTick = ticked.tick(T0 + 12 * MIN);
    const a = ticked.add(next);
    const b = unticked.add(next);
    expect(ofKind(byTick, 'tumbling')).toHaveLength(1);
    expect(a.status).toBe('late_revised');
    expect(b.status).toBe('late_revised');
    expect([...byTick, ...a.results]).toEqual(b.results);
  });

  it('snapshotOpen lists open tumbling windows per key', () => {
    const e = engine();
    e.add(reading(T0 + MIN, 1, { sensorId: 'b' }));
    e.add(reading(T0 + 2 * MIN, 3, { sensorId: 'a' }));
    e.add(reading(T0 + 4 * MIN, 5, { sensorId: 'a' }));
    expect(e.snapshotOpen().map((w) => [w.sensorId, w.startMs, w.count, w.mean])).toEqual([
      ['a', T0, 2, 4],
      ['b', T0, 1, 1],
    ]);
  });
});
