import { describe, expect, it } from 'vitest';
import { assertValidCurve, curveProblem, evaluateCurve, type Curve } from './curve.js';

const PM25: Curve = [[0, 100], [12, 85], [35.4, 60], [55.4, 40], [150.4, 15], [250, 0]];

describe('evaluateCurve', () => {
  it.each([
    [0, 100], [12, 85], [6, 92.5], [35.4, 60], [23.7, 72.5], [45.4, 50], [250, 0], [200.2, 7.5],
  ])('interpolates pm25 %d µg/m³ → %d', (x, y) => {
    expect(evaluateCurve(PM25, x)).toBeCloseTo(y, 10);
  });

  it('clamps below the first and above the last point', () => {
    expect(evaluateCurve(PM25, -5)).toBe(100);
    expect(evaluateCurve(PM25, 1_000)).toBe(0);
    expect(evaluateCurve(PM25, Number.POSITIVE_INFINITY)).toBe(0);
    expect(evaluateCurve([[0.1, 0], [0.5, 40], [1, 100]], 1.3)).toBe(100);
  });

  it('handles rising curves and flat segments', () => {
    const temperature: Curve = [[-10, 0], [0, 40], [18, 100], [24, 100], [32, 50], [40, 0]];
    expect(evaluateCurve(temperature, -5)).toBe(20);
    expect(evaluateCurve(temperature, 21)).toBe(100);
    expect(evaluateCurve(temperature, 36)).toBe(25);
  });

  it('refuses NaN', () => {
    expect(() => evaluateCurve(PM25, Number.NaN)).toThrow(RangeError);
  });
});

describe('curveProblem', () => {
  it('accepts strictly increasing x', () => {
    expect(curveProblem(PM25)).toBeUndefined();
    expect(() => assertValidCurve(PM25)).not.toThrow();
  });

  it.each([
    [[[0, 100], [0, 50]], /strictly increasing: point 1 has x = 0, not above point 0's x = 0/],
    [[[0, 100], [10, 50], [5, 0]], /strictly increasing: point 2 has x = 5/],
    [[[0, 100]], /at least 2 points/],
    [[], /at least 2 points/],
    [[[0, 100], [Number.NaN, 0]], /not two finite numbers/],
  ] as Array<[Curve, RegExp]>)('rejects %j', (points, message) => {
    expect(curveProblem(points)).toMatch(message);
    expect(() => assertValidCurve(points)).toThrow(message);
  });
});
