import { z } from 'zod';
import { duration } from '../../gateway/config/duration.js';
import { metricName, sensorId } from '../../gateway/config/sensor.js';

/** A field of a line → a metric: written `pm25` or `{ metric: pm25, unit: µg/m³, scale: 0.1 }`. */
const fieldSchema = z.union([
  metricName.transform((metric) => ({ metric, unit: '', scale: 1, offset: 0 })),
  z.strictObject({
    metric: metricName,
    unit: z.string().default(''),
    scale: z.number().finite().default(1),
    offset: z.number().finite().default(0),
  }),
]);

const lineOptions = {
  /** Field name (JSON: a dotted path; CSV: a column; regex: a named group) → metric. */
  fields: z.record(z.string().min(1), fieldSchema).refine((f) => Object.keys(f).length > 0, 'map at least one field'),
  /** A field holding the sensor id; without it every reading gets the driver's sensorId. */
  sensorIdField: z.string().min(1).optional(),
  /** A field holding the event time (epoch ms, epoch s, or ISO 8601); lines without it get arrival time. */
  tsField: z.string().min(1).optional(),
  delimiter: z.string().min(1).default('\n'),
  /** A longer run without a delimiter is discarded (and counted) so noise cannot grow memory. */
  maxLineLength: z.number().int().min(16).max(65536).default(4096),
};

const jsonFormat = z.strictObject({ kind: z.literal('json'), ...lineOptions });
const csvFormat = z.strictObject({
  kind: z.literal('csv'),
  ...lineOptions,
  columns: z.array(z.string().min(1)).min(1),
  separator: z.string().length(1).default(','),
});
const regexFormat = z.strictObject({
  kind: z.literal('regex'),
  ...lineOptions,
  /** Named groups (`(?<pm25>\d+)`) are the fields. */
  pattern: z.string().min(1).refine((p) => {
    try {
      return /\(\?<[A-Za-z_]/.test(p) && new RegExp(p) instanceof RegExp;
    } catch {
      return false;
    }
  }, 'expected a valid regular expression with named groups'),
});
/** Nova Fitness SDS011 laser PM sensor: 10-byte frames at 9600 8N1, one a second. */
const sds011Format = z.strictObject({ kind: z.literal('sds011') });

export const serialSchema = z.strictObject({
  type: z.literal('serial'),
  name: z.string().min(1).default('serial'),
  path: z.string().min(1),
  baudRate: z.number().int().positive().default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  sensorId,
  format: z.discriminatedUnion('kind', [jsonFormat, csvFormat, regexFormat, sds011Format]),
  /** Reopen delays after the port goes away: doubling from reopenMin up to reopenMax. */
  reopenMin: duration.prefault('500ms'),
  reopenMax: duration.prefault('30s'),
}).superRefine((config, ctx) => {
  const format = config.format;
  if (format.kind === 'sds011') return;
  const named = format.kind === 'csv' ? format.columns
    : format.kind === 'regex' ? [...format.pattern.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!)
    : null;
  if (!named) return;
  const what = format.kind === 'csv' ? 'column' : 'named group';
  for (const key of [...Object.keys(format.fields), format.sensorIdField, format.tsField]) {
    if (key !== undefined && !named.includes(key)) ctx.addIssue({ code: 'custom', path: ['format', 'fields'], message: `"${key}" is not a ${what} (${named.join(', ')})` });
  }
});

export type SerialDriverConfig = z.output<typeof serialSchema>;
export type SerialFormat = SerialDriverConfig['format'];
export type LineFormat = Exclude<SerialFormat, { kind: 'sds011' }>;
export type FieldMapping = LineFormat['fields'][string];
