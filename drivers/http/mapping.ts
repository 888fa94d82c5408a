import type { Reading } from '../../gateway/reading.js';
import { compilePath, getPath, type PathSegment } from './json-path.js';
import type { HttpDriverConfig } from './schema.js';

export interface Mapped {
  readings: Reading[];
  /** `record#i field` descriptions of mapped fields that were absent or not numbers. */
  missing: string[];
}

type TimestampFormat = NonNullable<HttpDriverConfig['timestamp']>['format'];

/** Compiles the driver's paths once; `map` turns a parsed JSON body into readings. */
export function compileMapping(config: HttpDriverConfig): (body: unknown, receivedAt: number) => Mapped | { error: string } {
  const path = (p: string): PathSegment[] => compilePath(p)!;
  const records = config.records ? path(config.records) : null;
  const sensorIdPath = config.sensorIdPath ? path(config.sensorIdPath) : null;
  const timestamp = config.timestamp ? { path: path(config.timestamp.path), format: config.timestamp.format } : null;
  const fields = config.fields.map((field) => ({ ...field, segments: path(field.path) }));

  return (body, receivedAt) => {
    let items: unknown[] = [body];
    if (records) {
      const found = getPath(body, records);
      if (!Array.isArray(found)) return { error: `records path ${config.records} is not an array` };
      items = found;
    }
    const readings: Reading[] = [];
    const missing: string[] = [];
    items.forEach((item, index) => {
      const ts = timestamp ? parseTime(getPath(item, timestamp.path), timestamp.format) : null;
      const recordSensor = sensorIdPath ? getPath(item, sensorIdPath) : undefined;
      for (const field of fields) {
        const value = toNumber(getPath(item, field.segments));
        const id = field.sensorId ?? (typeof recordSensor === 'string' || typeof recordSensor === 'number' ? String(recordSensor) : config.sensorId);
        if (value === null || id === undefined) {
          missing.push(`${records ? `record ${index} ` : ''}${field.path}${id === undefined ? ' (no sensor id)' : ''}`);
          continue;
        }
        readings.push({
          sensorId: id, metric: field.metric, value: value * field.scale + field.offset, unit: field.unit,
          ts: ts ?? receivedAt, tsFromArrival: ts === null, quality: 'good', source: config.name, receivedAt,
        });
      }
    });
    return { readings, missing };
  };
}

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export function parseTime(value: unknown, format: TimestampFormat): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (format === 'epoch_s' || (format === 'auto' && Math.abs(value) < 1e11)) return Math.round(value * 1000);
    if (format === 'iso') return null;
    return Math.round(value);
  }
  if (typeof value === 'string' && format !== 'epoch_s' && format !== 'epoch_ms') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}
