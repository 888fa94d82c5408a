import type { Quality } from '../../gateway/reading.js';

/** One value found in a payload, before validation (units and ranges are checked by the pipeline). */
export interface ParsedValue {
  sensorId: string;
  metric: string;
  value: number;
  unit: string | undefined;
  ts: number | undefined;
  quality: Quality;
}

export type PayloadParse = { ok: true; values: ParsedValue[] } | { ok: false; reason: string };

const QUALITIES = new Set<Quality>(['good', 'uncertain', 'bad']);
const MULTI_METRIC_LEVEL = 'all';

/**
 * Topic `{prefix}/{metric}/{sensorId}`; payload a bare number, `{"value", "ts"?, "unit"?, "quality"?}`,
 * or `{"ts"?, "values": {"pm25": 12.3, "no2": {"value": 20, "unit": "ugm3"}}}` (then the metric level
 * is ignored; `all` by convention). `ts` is epoch ms, or an ISO 8601 string.
 */
export function parseSensorMessage(prefix: string, topic: string, payload: Buffer): PayloadParse {
  const metricAt = startOfLevel(topic, levelCount(prefix));
  const sensorAt = metricAt < 0 ? -1 : topic.indexOf('/', metricAt) + 1;
  if (sensorAt <= 0 || topic.includes('/', sensorAt)) return { ok: false, reason: `topic must be ${prefix}/{metric}/{sensorId}` };
  const metric = topic.slice(metricAt, sensorAt - 1);
  const sensorId = topic.slice(sensorAt);
  if (!sensorId) return { ok: false, reason: 'topic has an empty sensor id' };
  if (payload.length === 0) return { ok: false, reason: 'empty payload' };

  const text = payload.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'payload is neither a number nor JSON' };
  }
  if (typeof body === 'number') return single(sensorId, metric, body, undefined, undefined, 'good');
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, reason: 'payload must be a number or a JSON object' };
  const record = body as Record<string, unknown>;

  const ts = parseTimestamp(record.ts);
  if (ts === null) return { ok: false, reason: 'ts must be epoch milliseconds or an ISO 8601 time' };
  const quality = record.quality ?? 'good';
  if (!QUALITIES.has(quality as Quality)) return { ok: false, reason: 'quality must be good, uncertain or bad' };

  if ('values' in record) {
    const values = record.values;
    if (!values || typeof values !== 'object' || Array.isArray(values)) return { ok: false, reason: 'values must be an object of metric: number' };
    const out: ParsedValue[] = [];
    for (const [name, entry] of Object.entries(values as Record<string, unknown>)) {
      const item = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : { value: entry };
      if (typeof item.value !== 'number') return { ok: false, reason: `values.${name} must be a number` };
      if (item.unit !== undefined && typeof item.unit !== 'string') return { ok: false, reason: `values.${name}.unit must be a string` };
      out.push({ sensorId, metric: name, value: item.value, unit: item.unit as string | undefined, ts, quality: quality as Quality });
    }
    if (out.length === 0) return { ok: false, reason: 'values is empty' };
    return { ok: true, values: out };
  }
  if (metric === MULTI_METRIC_LEVEL) return { ok: false, reason: `topic level "${MULTI_METRIC_LEVEL}" needs a values object` };
  if (typeof record.value !== 'number') return { ok: false, reason: 'value must be a number' };
  if (record.unit !== undefined && typeof record.unit !== 'string') return { ok: false, reason: 'unit must be a string' };
  return single(sensorId, metric, record.value, record.unit as string | undefined, ts, quality as Quality);
}

/** Topic levels are found by index, not split: a split made an array and a string per level on every publish. */
function levelCount(prefix: string): number {
  let levels = 1;
  for (let i = prefix.indexOf('/'); i >= 0; i = prefix.indexOf('/', i + 1)) levels++;
  return levels;
}

/** Where level `n` (0-based) of `topic` starts; -1 when it has fewer. */
function startOfLevel(topic: string, n: number): number {
  let at = 0;
  for (let level = 0; level < n; level++) {
    at = topic.indexOf('/', at) + 1;
    if (at === 0) return -1;
  }
  return at;
}

function single(sensorId: string, metric: string, value: number, unit: string | undefined, ts: number | undefined, quality: Quality): PayloadParse {
  return { ok: true, values: [{ sensorId, metric, value, unit, ts, quality }] };
}

/** undefined: absent; null: present but unusable. */
function parseTimestamp(ts: unknown): number | undefined | null {
  if (ts === undefined) return undefined;
  if (typeof ts === 'number') return Number.isFinite(ts) && ts > 0 ? Math.round(ts) : null;
  if (typeof ts === 'string') {
    const ms = Date.parse(ts);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}
