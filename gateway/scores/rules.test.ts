import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_SCORING_RULES, scoringRulesSchema } from './rules.js';

function issues(value: unknown): string[] {
  const result = scoringRulesSchema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

const valid = { TRANSIT: { metrics: { delay_s: { weight: 1, curve: [[0, 100], [900, 0]] } } } };

describe('scoringRulesSchema', () => {
  it('accepts the shipped defaults unchanged', () => {
    expect(scoringRulesSchema.parse(DEFAULT_SCORING_RULES)).toEqual(DEFAULT_SCORING_RULES);
  });

  it('accepts a minimal rule and minConfidence', () => {
    expect(issues(valid)).toEqual([]);
    expect(issues({ TRANSIT: { ...valid.TRANSIT, minConfidence: 0.7 } })).toEqual([]);
  });

  it('rejects unknown keys at every level', () => {
    expect(issues({ TRANSIT: { ...valid.TRANSIT, minConfidnce: 0.7 } })).toEqual([expect.stringMatching(/^TRANSIT: .*minConfidnce/)]);
    expect(issues({ TRANSIT: { metrics: { delay_s: { ...valid.TRANSIT.metrics.delay_s, wieght: 2 } } } }))
      .toEqual([expect.stringMatching(/^TRANSIT\.metrics\.delay_s: .*wieght/)]);
  });

  it('rejects non-increasing curves with a readable message and path', () => {
    const rules = { CLIMATE: { metrics: { pm25: { weight: 1, curve: [[0, 100], [35.4, 60], [12, 85]] } } } };
    expect(issues(rules)).toEqual([
      'CLIMATE.metrics.pm25.curve: x must be strictly increasing: point 2 has x = 12, not above point 1\'s x = 35.4',
    ]);
  });

  it.each([
    [{ TRANSIT: { metrics: { delay_s: { weight: 0, curve: [[0, 100], [900, 0]] } } } }, /weight: weight must be > 0/],
    [{ TRANSIT: { metrics: { delay_s: { weight: 1, curve: [[0, 100], [900, -1]] } } } }, /curve\.1\.1: a sub-score must be 0–100/],
    [{ TRANSIT: { metrics: { delay_s: { weight: 1, curve: [[0, 100]] } } } }, /curve: a curve needs at least 2 points/],
    [{ TRANSIT: { metrics: { delay_s: { weight: 1, curve: [[0, 100, 3], [900, 0]] } } } }, /curve\.0/],
    [{ TRANSIT: { metrics: {} } }, /metrics: a context needs at least one metric/],
    [{ transit: valid.TRANSIT }, /^transit: not a UCID context name \(1-8 characters A-Z 0-9\)$/],
    [{ TRANSIT: { metrics: { 'Delay s': valid.TRANSIT.metrics.delay_s } } }, /^TRANSIT\.metrics\.Delay s: not a metric name/],
    [{ TRANSIT: { ...valid.TRANSIT, minConfidence: 1.5 } }, /minConfidence/],
  ])('rejects %j', (rules, message) => {
    expect(issues(rules).join('\n')).toMatch(message);
  });

  it('serves as a config default that nobody can change in place', () => {
    const section = z.strictObject({ contexts: scoringRulesSchema.default(DEFAULT_SCORING_RULES) });
    expect(section.parse({}).contexts).toEqual(DEFAULT_SCORING_RULES);
    expect(Object.isFrozen(section.parse({}).contexts.TRANSIT)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SCORING_RULES.CLIMATE!.metrics.pm25!.curve[0])).toBe(true);
  });
});
