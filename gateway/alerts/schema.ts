import { z } from 'zod';
import { duration } from '../config/duration.js';
import { contextName, metricName } from '../config/sensor.js';

const debounceSchema = z.strictObject({
  /** Consecutive samples beyond the threshold before a change takes effect. */
  samples: z.number().int().min(1).default(1),
  /** And/or how long (event time) the condition must hold. */
  hold: duration.prefault(0),
});

/** One ThresholdAlert rule (the UCID spec's ALERT_THRESHOLDS, with levels, hysteresis and debounce). */
export const thresholdRuleSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected lowercase letters, digits, _ and -'),
  /** `score`: a context score per cell; `metric`: each raw reading of a metric. */
  on: z.enum(['score', 'metric']),
  /** The context the alert belongs to (its MQTT topic); for `on: score`, the score it watches. */
  context: contextName,
  metric: metricName.optional(),
  direction: z.enum(['above', 'below']),
  warning: z.number().optional(),
  critical: z.number().optional(),
  /** Clears only once the value is back past the threshold by this much. */
  hysteresis: z.number().nonnegative().default(0),
  debounce: debounceSchema.prefault({}),
}).superRefine((rule, ctx) => {
  if (rule.on === 'metric' && !rule.metric) ctx.addIssue({ code: 'custom', path: ['metric'], message: 'a metric rule needs a metric' });
  if (rule.on === 'score' && rule.metric) ctx.addIssue({ code: 'custom', path: ['metric'], message: 'a score rule watches its context score, not a metric' });
  if (rule.warning === undefined && rule.critical === undefined) ctx.addIssue({ code: 'custom', path: ['warning'], message: 'set warning, critical or both' });
  if (rule.warning !== undefined && rule.critical !== undefined) {
    const ordered = rule.direction === 'below' ? rule.critical < rule.warning : rule.critical > rule.warning;
    if (!ordered) ctx.addIssue({ code: 'custom', path: ['critical'], message: `critical must be ${rule.direction} warning` });
  }
});
export type ThresholdRule = z.output<typeof thresholdRuleSchema>;

/** The UCID spec's ALERT_THRESHOLDS: TRANSIT low 40 / critical 20; CLIMATE high_temp 35 °C, low_air_quality 30. */
export const DEFAULT_THRESHOLD_RULES: z.input<typeof thresholdRuleSchema>[] = [
  { name: 'transit-low', on: 'score', context: 'TRANSIT', direction: 'below', warning: 40, critical: 20, hysteresis: 5 },
  { name: 'climate-low-air-quality', on: 'score', context: 'CLIMATE', direction: 'below', warning: 30, hysteresis: 5 },
  { name: 'climate-high-temp', on: 'metric', context: 'CLIMATE', metric: 'temperature', direction: 'above', warning: 35, hysteresis: 1, debounce: { samples: 3 } },
];

const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  /** HMAC-SHA256 key; the signature goes in `X-UCID-Signature: sha256=<hex>`. */
  secret: z.string().min(16, 'use a secret of at least 16 characters'),
  kinds: z.array(z.enum(['ThresholdAlert', 'AnomalyDetected', 'DataSourceDown'])).default(['ThresholdAlert', 'AnomalyDetected', 'DataSourceDown']),
  timeout: duration.prefault('5s'),
  maxAttempts: z.number().int().min(1).default(20),
});

export const alertsSchema = z.strictObject({
  thresholds: z.array(thresholdRuleSchema).prefault(DEFAULT_THRESHOLD_RULES),
  anomaly: z.strictObject({
    enabled: z.boolean().default(true),
    /** Metrics watched; empty means every metric. */
    metrics: z.array(metricName).default([]),
    /** EWMA weight of each new sample. */
    alpha: z.number().gt(0).lt(1).default(0.05),
    /** |value − mean| / stddev beyond which a reading is flagged. */
    zThreshold: z.number().positive().default(4),
    warmupSamples: z.number().int().min(2).default(30),
    /** At most one AnomalyDetected per sensor and metric this often. */
    cooldown: duration.prefault('5m'),
  }).prefault({}),
  dataSourceDown: z.strictObject({
    /** A registered sensor silent for this many expected intervals is down. */
    silenceIntervals: z.number().positive().default(3),
  }).prefault({}),
  /** Alerts go to the embedded broker under `{mqttTopicPrefix}/{city}/{context}`. */
  mqttTopicPrefix: z.string().regex(/^[^#+]+$/).default('ucid/alerts'),
  webhooks: z.array(webhookSchema).default([]),
  /** Rows kept in the alert history. */
  historyMaxRows: z.number().int().positive().default(100_000),
});
export type AlertsConfig = z.output<typeof alertsSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;
