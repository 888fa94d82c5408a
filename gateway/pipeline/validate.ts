import type { Reading } from '../reading.js';
import type { MetricSpec } from '../config/schema.js';
import { BUILTIN_METRICS, resolveUnit } from './metric-catalogue.js';

const METRIC_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const SENSOR_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface ValidationLimits {
  maxFutureSkewMs: number;
  maxAgeMs: number;
}

export type Validation = { ok: true; reading: Reading } | { ok: false; reason: string };

/** DESIGN §3–4: finite numbers, known units, per-metric ranges, device clocks not far in the future. */
export class ReadingValidator {
  private readonly catalogue: Record<string, MetricSpec>;

  constructor(extraMetrics: Record<string, MetricSpec>, private readonly limits: ValidationLimits) {
    this.catalogue = { ...BUILTIN_METRICS, ...extraMetrics };
  }

  validate(reading: Reading, nowMs: number): Validation {
    if (!SENSOR_ID.test(reading.sensorId)) return { ok: false, reason: `sensor id "${reading.sensorId}" has characters outside A-Z a-z 0-9 . _ -` };
    if (!METRIC_NAME.test(reading.metric)) return { ok: false, reason: `metric "${reading.metric}" must be lowercase letters, digits and _` };
    if (typeof reading.value !== 'number' || !Number.isFinite(reading.value)) return { ok: false, reason: `${reading.metric} value is not a finite number` };
    if (!Number.isFinite(reading.ts)) return { ok: false, reason: 'timestamp is not a number' };
    if (reading.ts > nowMs + this.limits.maxFutureSkewMs) {
      return { ok: false, reason: `timestamp ${new Date(reading.ts).toISOString()} is ${Math.round((reading.ts - nowMs) / 1000)} s in the future (device clock wrong?)` };
    }
    if (reading.ts < nowMs - this.limits.maxAgeMs) return { ok: false, reason: `timestamp ${new Date(reading.ts).toISOString()} is older than the accepted age` };

    const spec = this.catalogue[reading.metric];
    if (!spec) return { ok: true, reading };
    const resolved = resolveUnit(spec, reading.unit || undefined);
    if (!resolved) return { ok: false, reason: `${reading.metric} unit "${reading.unit}" is not ${spec.unit} or convertible to it` };
    const value = resolved.convert ? resolved.convert(reading.value) : reading.value;
    if (value < spec.min || value > spec.max) return { ok: false, reason: `${reading.metric} ${value} ${spec.unit} is outside ${spec.min}..${spec.max}` };
    if (value === reading.value && resolved.unit === reading.unit) return { ok: true, reading };
    return { ok: true, reading: { ...reading, value, unit: resolved.unit } };
  }
}
