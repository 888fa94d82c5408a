import { z } from 'zod';
import { byteSize, duration } from '../../gateway/config/duration.js';
import { metricName, sensorId } from '../../gateway/config/sensor.js';
import { jsonPath } from './json-path.js';
import { secretSchema } from './secret.js';

/** An API key sent in a header (`header: X-API-Key`) or in the query string (`query: appid`). */
export const apiKeySchema = z.strictObject({
  header: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name').optional(),
  query: z.string().min(1).optional(),
  value: secretSchema,
}).refine((key) => (key.header === undefined) !== (key.query === undefined), 'give exactly one of header or query');

export const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });

export const pollBackoffSchema = z.strictObject({
  initial: duration.prefault('30s'),
  max: duration.prefault('1h'),
});

const fieldSchema = z.strictObject({
  path: jsonPath,
  metric: metricName,
  unit: z.string().default(''),
  /** Overrides the driver's `sensorId` / `sensorIdPath` for this field. */
  sensorId: sensorId.optional(),
  scale: z.number().default(1),
  offset: z.number().default(0),
});

/** A generic JSON REST poller (e.g. a weather API): fields found by path become readings. */
export const httpSchema = z.strictObject({
  type: z.literal('http'),
  name: z.string().min(1).default('http'),
  url: httpUrl,
  method: z.enum(['GET', 'POST']).default('GET'),
  body: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  apiKey: apiKeySchema.optional(),
  /** Wanted spacing between polls; the daily budget may make it longer. */
  interval: duration.prefault('10m'),
  /** Requests allowed per 24 h (retries included), e.g. 1000 for the UCID spec's weather API. */
  dailyBudget: z.number().int().min(1).max(86_400_000).optional(),
  timeout: duration.prefault('10s'),
  maxBytes: byteSize.prefault('1MiB'),
  backoff: pollBackoffSchema.prefault({}),
  downAfterFailures: z.number().int().min(1).default(3),
  /** Send If-None-Match / If-Modified-Since from the last answer. */
  conditional: z.boolean().default(true),
  /** Path to an array: each element is one record, and field paths are read from it. */
  records: jsonPath.optional(),
  sensorId: sensorId.optional(),
  /** Path (in each record) to the sensor id. */
  sensorIdPath: jsonPath.optional(),
  /** Event time: epoch seconds, epoch ms or ISO 8601 (`auto` tells them apart); arrival time when absent. */
  timestamp: z.strictObject({ path: jsonPath, format: z.enum(['auto', 'epoch_s', 'epoch_ms', 'iso']).default('auto') }).optional(),
  fields: z.array(fieldSchema).min(1),
}).superRefine((config, ctx) => {
  config.fields.forEach((field, i) => {
    if (!field.sensorId && !config.sensorId && !config.sensorIdPath) {
      ctx.addIssue({ code: 'custom', path: ['fields', i, 'sensorId'], message: 'needs a sensorId (here, or sensorId / sensorIdPath on the driver)' });
    }
  });
  if (config.body !== undefined && config.method === 'GET') ctx.addIssue({ code: 'custom', path: ['body'], message: 'a body needs method: POST' });
});

export type HttpDriverConfig = z.output<typeof httpSchema>;
export type HttpFieldConfig = HttpDriverConfig['fields'][number];
