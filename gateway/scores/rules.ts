import { z } from 'zod';
import { deepFreeze } from '../config/freeze.js';
import { curveProblem } from './curve.js';

const contextNameSchema = z.string().regex(/^[A-Z0-9]{1,8}$/);
const metricNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/);

/** zod reports a bad record key as "Invalid key in record"; say what a key must look like instead. */
function keyError(expected: string): { error: (issue: { code?: string }) => string | undefined } {
  return { error: (issue) => (issue.code === 'invalid_key' ? `not ${expected}` : undefined) };
}

const curvePointSchema = z.tuple([
  z.number(),
  z.number().min(0, 'a sub-score must be 0–100').max(100, 'a sub-score must be 0–100'),
]);

const curveSchema = z.array(curvePointSchema).superRefine((points, ctx) => {
  const problem = curveProblem(points);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const metricRuleSchema = z.strictObject({
  weight: z.number().positive('weight must be > 0'),
  /** [[metric value, sub-score 0–100], ...], x strictly increasing; clamped beyond both ends. */
  curve: curveSchema,
});

const contextRuleSchema = z.strictObject({
  metrics: z
    .record(metricNameSchema, metricRuleSchema, keyError('a metric name (lowercase letters, digits and _)'))
    .refine((metrics) => Object.keys(metrics).length > 0, { message: 'a context needs at least one metric' }),
  minConfidence: z.number().min(0).max(1).optional(),
});

/** Config section `scoring.contexts` (DESIGN §3 "Context scores"): context → its metrics' weights and curves. */
export const scoringRulesSchema = z.record(
  contextNameSchema, contextRuleSchema, keyError('a UCID context name (1-8 characters A-Z 0-9)'),
);

export type ScoringRules = z.output<typeof scoringRulesSchema>;
export type ContextRule = z.output<typeof contextRuleSchema>;
export type MetricRule = z.output<typeof metricRuleSchema>;

/** The shipped rules; gateway/scores/README.md explains each curve and its sources. Frozen: zod hands defaults out as-is. */
export const DEFAULT_SCORING_RULES: ScoringRules = deepFreeze({
  CLIMATE: {
    metrics: {
      /** µg/m³; US EPA AQI PM2.5 breakpoints. */
      pm25: { weight: 0.5, curve: [[0, 100], [12, 85], [35.4, 60], [55.4, 40], [150.4, 15], [250, 0]] },
      /** µg/m³; WHO 2021 24-h guideline, EU 2030 daily limit, EEA index bands, EU 1-h limit, EU alert threshold. */
      no2: { weight: 0.25, curve: [[0, 100], [25, 85], [50, 70], [100, 50], [200, 25], [400, 0]] },
      /** °C air temperature; 18–24 comfortable, heat stress rising faster than cold stress. */
      temperature: { weight: 0.25, curve: [[-10, 0], [0, 40], [18, 100], [24, 100], [32, 50], [40, 0]] },
    },
  },
  TRANSIT: {
    metrics: {
      /** s of delay against the timetable; early (negative) clamps to 100. */
      delay_s: { weight: 0.5, curve: [[0, 100], [300, 50], [900, 0]] },
      /** observed / free-flow speed, 0–1; above 1 clamps to 100. */
      speed_ratio: { weight: 0.5, curve: [[0.1, 0], [0.5, 40], [1, 100]] },
    },
  },
});
