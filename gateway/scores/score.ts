import { evaluateCurve } from './curve.js';
import type { ContextRule } from './rules.js';

/** LOW_CONF is flagged below this when a context rule sets no minConfidence (0–1). */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

/** One sensor's aggregate of one metric for one (H3 cell, context, tumbling window). */
export interface MetricAggregate {
  metric: string;
  /** Mean of the window's samples, in the metric's unit. Ignored when count is 0. */
  mean: number;
  /** Samples seen in the window. */
  count: number;
  /** Samples the sensor should have sent in the window (expected interval); may be fractional. */
  expectedCount: number;
  /** Of `count`, samples of quality `uncertain`. */
  uncertainCount: number;
  /** Cached data from an earlier window: the source is down (DESIGN §5 DataSourceDown). */
  stale: boolean;
}

export interface ContextScore {
  /** 0–100, 1 decimal. */
  score: number;
  /** 0–1, 2 decimals. */
  confidence: number;
  /** Sorted: LOW_CONF, PARTIAL, STALE. */
  flags: string[];
}

/** A metric whose samples are all stale keeps this share of its confidence. */
export const STALE_CONFIDENCE_FACTOR = 0.5;

interface MetricTotals {
  weightedSum: number;
  count: number;
  expectedCount: number;
  uncertainCount: number;
  staleCount: number;
}

function checkAggregate(input: MetricAggregate): void {
  const { metric, mean, count, expectedCount, uncertainCount } = input;
  for (const [name, value] of [['count', count], ['expectedCount', expectedCount], ['uncertainCount', uncertainCount]] as const) {
    if (!(value >= 0 && Number.isFinite(value))) throw new RangeError(`${metric}: ${name} must be a finite number ≥ 0, got ${value}`);
  }
  if (uncertainCount > count) throw new RangeError(`${metric}: uncertainCount ${uncertainCount} exceeds count ${count}`);
  if (count > 0 && !Number.isFinite(mean)) throw new RangeError(`${metric}: mean must be finite, got ${mean}`);
}

/** Several sensors of one metric in a cell: sums their samples, so the mean is sample-weighted. */
function totalsByMetric(rule: ContextRule, inputs: readonly MetricAggregate[]): Map<string, MetricTotals> {
  const totals = new Map<string, MetricTotals>();
  for (const input of inputs) {
    if (!Object.hasOwn(rule.metrics, input.metric)) continue;
    checkAggregate(input);
    let t = totals.get(input.metric);
    if (!t) totals.set(input.metric, (t = { weightedSum: 0, count: 0, expectedCount: 0, uncertainCount: 0, staleCount: 0 }));
    t.expectedCount += input.expectedCount;
    if (input.count === 0) continue;
    t.weightedSum += input.mean * input.count;
    t.count += input.count;
    t.uncertainCount += input.uncertainCount;
    if (input.stale) t.staleCount += input.count;
  }
  return totals;
}

/** 0–1: completeness (seen / expected, capped) × certain share × freshness. */
function metricQuality(t: MetricTotals): number {
  const completeness = t.expectedCount > 0 ? Math.min(1, t.count / t.expectedCount) : 1;
  const certainShare = 1 - t.uncertainCount / t.count;
  const freshness = 1 - (1 - STALE_CONFIDENCE_FACTOR) * (t.staleCount / t.count);
  return completeness * certainShare * freshness;
}

/**
 * DESIGN §3 context score, formula in gateway/scores/README.md: the weighted mean of the sub-scores of the
 * rule's metrics present; null when none is present. Inputs for metrics outside the rule are ignored.
 */
export function computeContextScore(rule: ContextRule, inputs: readonly MetricAggregate[]): ContextScore | null {
  const totals = totalsByMetric(rule, inputs);
  let ruleWeight = 0;
  let presentWeight = 0;
  let weightedSubScores = 0;
  let weightedQuality = 0;
  let missing = false;
  let stale = false;
  for (const [metric, { weight, curve }] of Object.entries(rule.metrics)) {
    ruleWeight += weight;
    const t = totals.get(metric);
    if (!t || t.count === 0) {
      missing = true;
      continue;
    }
    presentWeight += weight;
    weightedSubScores += weight * evaluateCurve(curve, t.weightedSum / t.count);
    weightedQuality += weight * metricQuality(t);
    stale ||= t.staleCount > 0;
  }
  if (presentWeight === 0) return null;

  const score = Math.round((weightedSubScores / presentWeight) * 10) / 10;
  const confidence = Math.round((weightedQuality / ruleWeight) * 100) / 100;
  const flags: string[] = [];
  if (confidence < (rule.minConfidence ?? DEFAULT_MIN_CONFIDENCE)) flags.push('LOW_CONF');
  if (missing) flags.push('PARTIAL');
  if (stale) flags.push('STALE');
  return { score, confidence, flags };
}
