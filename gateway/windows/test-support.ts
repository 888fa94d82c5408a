import type { Quality, Reading } from '../reading.js';
import type { WindowResult } from './types.js';

export const MIN = 60_000;
/** Monday 2026-01-05 12:00 UTC: aligned to every default window. */
export const T0 = Date.UTC(2026, 0, 5, 12);

export interface ReadingOptions {
  sensorId?: string;
  metric?: string;
  quality?: Quality;
  receivedAt?: number;
}

export function reading(ts: number, value: number, o: ReadingOptions = {}): Reading {
  return {
    sensorId: o.sensorId ?? 's1',
    metric: o.metric ?? 'pm25',
    value,
    unit: 'ug/m3',
    ts,
    quality: o.quality ?? 'good',
    source: 'test',
    receivedAt: o.receivedAt ?? ts,
  };
}

/** The downstream event identity (DESIGN §5): key, kind, window end, revision. */
export function resultId(r: WindowResult): string {
  return `${r.kind}|${r.sensorId}|${r.metric}|${r.endMs}|${r.revision}`;
}

export function ofKind(results: readonly WindowResult[], kind: WindowResult['kind']): WindowResult[] {
  return results.filter((r) => r.kind === kind);
}

/** Deterministic PRNG (mulberry32) for generated streams. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Population statistics computed the naive way, as an oracle. */
export function naiveStats(values: readonly number[]): { mean: number; stddev: number; min: number; max: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { mean, stddev: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}
