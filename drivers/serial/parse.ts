import type { FieldMapping, LineFormat } from './schema.js';

export interface ParsedValue {
  field: string;
  mapping: FieldMapping;
  value: number;
}

export type ParsedLine =
  | { ok: true; values: ParsedValue[]; sensorId?: string; ts?: number }
  | { ok: false; reason: string };

type Fields = (name: string) => unknown;

const compiled = new Map<string, RegExp>();
const regexOf = (pattern: string) => compiled.get(pattern) ?? compiled.set(pattern, new RegExp(pattern)).get(pattern)!;

function fieldsOf(format: LineFormat, line: string): Fields | string {
  switch (format.kind) {
    case 'json': {
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch (err) {
        return `not JSON: ${(err as Error).message}`;
      }
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a JSON object';
      return (name) => name.split('.').reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined), doc);
    }
    case 'csv': {
      const cells = line.split(format.separator).map((cell) => cell.trim());
      if (cells.length !== format.columns.length) return `expected ${format.columns.length} columns, got ${cells.length}`;
      return (name) => cells[format.columns.indexOf(name)];
    }
    case 'regex': {
      const groups = regexOf(format.pattern).exec(line)?.groups;
      if (!groups) return 'no match for the pattern';
      return (name) => groups[name];
    }
  }
}

const toNumber = (raw: unknown): number => (typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN);

/** ECMAScript's time range (±10⁸ days): beyond it a number is no time, and seconds × 1000 may overflow. */
const MAX_TIME_MS = 8.64e15;

function toTimestamp(raw: unknown): number | null {
  const n = toNumber(raw);
  if (Number.isFinite(n)) {
    const ms = Math.abs(n) < 1e11 ? Math.round(n * 1000) : Math.round(n);
    return Math.abs(ms) <= MAX_TIME_MS ? ms : null;
  }
  if (typeof raw === 'string') {
    const parsed = Date.parse(raw);
    if (Number.isFinite(parsed)) return parsed;
  }
  return null;
}

/**
 * One line → values of the configured fields. Absent fields are skipped; a present field that is not a number
 * rejects the line. Without a time field (or with it absent) the reading gets arrival time.
 */
export function parseLine(format: LineFormat, line: string): ParsedLine {
  const get = fieldsOf(format, line);
  if (typeof get === 'string') return { ok: false, reason: get };
  const values: ParsedValue[] = [];
  for (const [field, mapping] of Object.entries(format.fields)) {
    const raw = get(field);
    if (raw === undefined || raw === null || raw === '') continue;
    const n = toNumber(raw);
    if (!Number.isFinite(n)) return { ok: false, reason: `field "${field}" is not a number: ${JSON.stringify(raw).slice(0, 40)}` };
    values.push({ field, mapping, value: n * mapping.scale + mapping.offset });
  }
  if (!values.length) return { ok: false, reason: 'none of the configured fields in the line' };
  const result: ParsedLine = { ok: true, values };
  if (format.sensorIdField) {
    const id = get(format.sensorIdField);
    if (typeof id !== 'string' && typeof id !== 'number') return { ok: false, reason: `no sensor id in field "${format.sensorIdField}"` };
    result.sensorId = String(id);
  }
  const rawTs = format.tsField ? get(format.tsField) : undefined;
  if (rawTs !== undefined && rawTs !== null && rawTs !== '') {
    const ts = toTimestamp(rawTs);
    if (ts === null) return { ok: false, reason: `field "${format.tsField}" is not a time: ${JSON.stringify(rawTs).slice(0, 40)}` };
    result.ts = ts;
  }
  return result;
}
