import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeUcid } from '../ucid/codec.js';
import { DEFAULT_SCORING_RULES, type ContextRule } from './rules.js';
import { computeContextScore, type MetricAggregate } from './score.js';

const TRANSIT = DEFAULT_SCORING_RULES.TRANSIT!;
const CLIMATE = DEFAULT_SCORING_RULES.CLIMATE!;

function aggregate(metric: string, mean: number, extra: Partial<MetricAggregate> = {}): MetricAggregate {
  return { metric, mean, count: 10, expectedCount: 10, uncertainCount: 0, stale: false, ...extra };
}

describe('computeContextScore', () => {
  it('returns null when no metric of the rule is present', () => {
    expect(computeContextScore(TRANSIT, [])).toBeNull();
    expect(computeContextScore(TRANSIT, [aggregate('pm25', 10)])).toBeNull();
    expect(computeContextScore(TRANSIT, [aggregate('delay_s', 0, { count: 0 })])).toBeNull();
  });

  it('scores complete fresh data with full confidence and no flags', () => {
    expect(computeContextScore(TRANSIT, [aggregate('delay_s', 300), aggregate('speed_ratio', 0.75)]))
      .toEqual({ score: 60, confidence: 1, flags: [] });
  });

  it('averages the sub-scores present by weight', () => {
    const rule: ContextRule = {
      metrics: {
        a: { weight: 3, curve: [[0, 100], [1, 0]] },
        b: { weight: 1, curve: [[0, 100], [1, 0]] },
      },
    };
    expect(computeContextScore(rule, [aggregate('a', 0), aggregate('b', 1)])?.score).toBe(75);
    expect(computeContextScore(rule, [aggregate('a', 1), aggregate('b', 0)])?.score).toBe(25);
  });

  it('scores from the metrics present and flags PARTIAL, confidence losing the absent weight share', () => {
    expect(computeContextScore(TRANSIT, [aggregate('delay_s', 150)])).toEqual({ score: 75, confidence: 0.5, flags: ['PARTIAL'] });
    expect(computeContextScore(CLIMATE, [aggregate('pm25', 12), aggregate('no2', 25)])).toEqual({
      score: 85, confidence: 0.75, flags: ['PARTIAL'],
    });
  });

  it('loses confidence with missing samples, capped at complete', () => {
    const rule: ContextRule = { metrics: { delay_s: TRANSIT.metrics.delay_s! } };
    expect(computeContextScore(rule, [aggregate('delay_s', 0, { count: 6 })])?.confidence).toBe(0.6);
    expect(computeContextScore(rule, [aggregate('delay_s', 0, { count: 25 })])?.confidence).toBe(1);
    expect(computeContextScore(rule, [aggregate('delay_s', 0, { count: 3, expectedCount: 0 })])?.confidence).toBe(1);
    // A silent sensor still counts towards what was expected.
    expect(computeContextScore(rule, [aggregate('delay_s', 0), aggregate('delay_s', Number.NaN, { count: 0 })])).toEqual({
      score: 100, confidence: 0.5, flags: [],
    });
  });

  it('loses confidence with uncertain samples', () => {
    const rule: ContextRule = { metrics: { delay_s: TRANSIT.metrics.delay_s! } };
    expect(computeContextScore(rule, [aggregate('delay_s', 0, { uncertainCount: 2 })])?.confidence).toBe(0.8);
    expect(computeContextScore(rule, [aggregate('delay_s', 0, { uncertainCount: 10 })])).toEqual({
      score: 100, confidence: 0, flags: ['LOW_CONF'],
    });
  });

  it('halves the confidence of stale data and flags STALE', () => {
    const rule: ContextRule = { metrics: { delay_s: TRANSIT.metrics.delay_s! } };
    expect(computeContextScore(rule, [aggregate('delay_s', 0, { stale: true })])).toEqual({ score: 100, confidence: 0.5, flags: ['STALE'] });
    expect(computeContextScore(rule, [aggregate('delay_s', 0), aggregate('delay_s', 0, { stale: true, expectedCount: 0 })]))
      .toEqual({ score: 100, confidence: 0.75, flags: ['STALE'] });
  });

  it('combines several sensors of one metric sample-weighted', () => {
    const rule: ContextRule = { metrics: { pm25: CLIMATE.metrics.pm25! } };
    const result = computeContextScore(rule, [
      aggregate('pm25', 6, { count: 30, expectedCount: 30 }),
      aggregate('pm25', 30, { count: 10, expectedCount: 30 }),
    ]);
    // mean (6·30 + 30·10) / 40 = 12 µg/m³ → 85; confidence 40 of 60 expected samples.
    expect(result).toEqual({ score: 85, confidence: 0.67, flags: [] });
  });

  it('flags LOW_CONF below the rule minimum (default 0.5), comparing the rounded confidence', () => {
    const inputs = [aggregate('delay_s', 0, { count: 8 }), aggregate('speed_ratio', 1)];
    expect(computeContextScore(TRANSIT, inputs)?.flags).toEqual([]);
    expect(computeContextScore({ ...TRANSIT, minConfidence: 0.95 }, inputs)).toEqual({ score: 100, confidence: 0.9, flags: ['LOW_CONF'] });
    expect(computeContextScore({ ...TRANSIT, minConfidence: 0.9 }, inputs)?.flags).toEqual([]);
  });

  it('sorts all three flags', () => {
    expect(computeContextScore(CLIMATE, [aggregate('pm25', 35.4, { stale: true, count: 2 })])).toEqual({
      score: 60, confidence: 0.05, flags: ['LOW_CONF', 'PARTIAL', 'STALE'],
    });
  });

  it('rounds the score to 1 decimal and the confidence to 2', () => {
    const result = computeContextScore(TRANSIT, [aggregate('delay_s', 100), aggregate('speed_ratio', 0.3, { count: 7, expectedCount: 9 })]);
    // delay 100 s → 83.33…, speed ratio 0.3 → 20; confidence (1 + 7/9) / 2 = 0.888…
    expect(result).toEqual({ score: 51.7, confidence: 0.89, flags: [] });
  });

  it('ignores metrics outside the rule, and rejects impossible counts', () => {
    expect(computeContextScore(TRANSIT, [aggregate('delay_s', 0), aggregate('pm25', Number.NaN, { count: -1 })])?.score).toBe(100);
    expect(() => computeContextScore(TRANSIT, [aggregate('delay_s', 0, { uncertainCount: 11 })])).toThrow(/delay_s: uncertainCount 11 exceeds count 10/);
    expect(() => computeContextScore(TRANSIT, [aggregate('delay_s', 0, { count: -1 })])).toThrow(/count must be a finite number ≥ 0/);
    expect(() => computeContextScore(TRANSIT, [aggregate('delay_s', Number.NaN)])).toThrow(/mean must be finite/);
  });

  it('always yields a score and confidence in range that UCID-V1 can carry', () => {
    const metric = fc.constantFrom('pm25', 'no2', 'temperature', 'humidity');
    const input = fc.record({
      metric,
      mean: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      count: fc.integer({ min: 0, max: 100 }),
      expectedCount: fc.double({ min: 0, max: 100, noNaN: true }),
      stale: fc.boolean(),
    }).chain((a) => fc.integer({ min: 0, max: a.count }).map((uncertainCount) => ({ ...a, uncertainCount })));
    fc.assert(
      fc.property(fc.array(input, { maxLength: 8 }), (inputs) => {
        const result = computeContextScore(CLIMATE, inputs);
        if (!result) return;
        expect(result.score).toBeGreaterThanOrEqual(0);
        expect(result.score).toBeLessThanOrEqual(100);
        expect(result.confidence).toBeGreaterThanOrEqual(0);
        expect(result.confidence).toBeLessThanOrEqual(1);
        expect(result.score).toBe(Math.round(result.score * 10) / 10);
        expect(result.flags).toEqual([...result.flags].sort());
        encodeUcid({ city: 'IST', lat: 41.015, lon: 28.979, timeMs: 0, context: 'CLIMATE', ...result });
      }),
      { numRuns: 1_000 },
    );
  });
});
