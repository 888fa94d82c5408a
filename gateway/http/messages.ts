import type { RawData } from 'ws';
import type { DriverHealth } from '../../drivers/driver.js';
import type { AlertEvent } from '../bus.js';
import type { ScoreRow } from '../store/store.js';
import type { RecentReading } from '../store/dashboard-queries.js';
import type { StatusSnapshot } from './status.js';

/** Wire format of the LAN WebSocket API (DESIGN §7, docs/dashboard.md): flat, snake_case fields. */

const iso = (ms: number) => new Date(ms).toISOString();

export function scoreFields(row: ScoreRow, previousScore: number | null) {
  return {
    city: row.city, h3_index: row.h3Index, context: row.context, score: row.score, grade: row.grade,
    confidence: row.confidence, ucid: row.ucid, flags: row.flags ? row.flags.split(';') : [],
    timestamp: iso(row.windowEnd), window_start: iso(row.windowStart), revision: row.revision,
    previous_score: previousScore, event_id: row.eventId,
  };
}

export function alertFields(e: AlertEvent) {
  return {
    event_id: e.eventId, kind: e.kind, state: e.state, level: e.level, key: e.key, city: e.city,
    context: e.context ?? null, sensor_id: e.sensorId ?? null, metric: e.metric ?? null, value: e.value ?? null,
    threshold: e.threshold ?? null, message: e.message, timestamp: iso(e.at),
    acknowledged: e.acknowledged ? { by: e.acknowledged.by, at: iso(e.acknowledged.at) } : null,
  };
}

export function readingFields(r: RecentReading) {
  return { sensor_id: r.sensorId, metric: r.metric, value: r.value, unit: r.unit, ts: r.ts, quality: r.quality };
}

const str = JSON.stringify;

/** `{"type":"reading", ...readingFields(r)}` serialised without the two intermediate objects (the hottest message). */
export function readingMessage(r: RecentReading): string {
  return `{"type":"reading","sensor_id":${str(r.sensorId)},"metric":${str(r.metric)},"value":${str(r.value)},"unit":${str(r.unit)},"ts":${str(r.ts)},"quality":${str(r.quality)}}`;
}

function driverFields(d: DriverHealth) {
  return { name: d.name, type: d.type, state: d.state, last_reading_at: d.lastReadingAt, errors: d.errors, detail: d.detail ?? null };
}

export function statusFields(s: StatusSnapshot) {
  return {
    gateway_id: s.gatewayId, city: s.city, started_at: iso(s.startedAt), ready: s.ready,
    drivers: s.drivers.map(driverFields),
    broker: s.broker,
    sync: {
      configured: s.sync.enabled, state: s.sync.state, connected: s.sync.state === 'online',
      backlog_events: s.sync.backlog.events, backlog_bytes: s.sync.backlog.bytes,
      oldest_age_ms: s.sync.backlog.oldestCreatedAt === null ? null : Math.max(0, Date.now() - s.sync.backlog.oldestCreatedAt),
      last_delivered_at: s.sync.lastDelivery?.at ?? null,
      last_error: s.sync.lastError ? `${s.sync.lastError.code}: ${s.sync.lastError.message}` : null,
    },
    websocket_clients: s.websocketClients,
  };
}

export type ClientMessage =
  | { type: 'ping' }
  | { type: 'subscribe'; city?: string; context: string | null; readings: boolean; sensor: string | null; metric: string | null };

export type Parsed = { ok: true; message: ClientMessage } | { ok: false; error: string; message: string };

const CITY = /^[A-Za-z]{3}$/;
const CONTEXT = /^[A-Za-z0-9]{1,8}$/;
const NAME = /^[\w.:@/-]{1,128}$/;

const bad = (error: string, message: string): Parsed => ({ ok: false, error, message });

/** A client frame: JSON text, `ping` or `subscribe`; anything else is an error reply, never a throw. */
export function parseClientMessage(data: RawData, isBinary: boolean): Parsed {
  if (isBinary) return bad('binary_frame', 'send JSON text frames');
  let value: unknown;
  try {
    value = JSON.parse(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
  } catch {
    return bad('bad_json', 'the frame is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return bad('bad_message', 'expected a JSON object with a "type"');
  const m = value as Record<string, unknown>;
  if (m.type === 'ping') return { ok: true, message: { type: 'ping' } };
  if (m.type !== 'subscribe') return bad('unknown_type', `unknown message type ${JSON.stringify(String(m.type)).slice(0, 40)}; expected subscribe or ping`);
  const { city, context, readings, sensor, metric } = m;
  if (city !== undefined && (typeof city !== 'string' || !CITY.test(city))) return bad('bad_city', 'city must be a 3-letter UCID city code');
  const allContexts = context === undefined || context === null || context === '*' || context === 'ALL';
  if (!allContexts && (typeof context !== 'string' || !CONTEXT.test(context))) return bad('bad_context', 'context must match ^[A-Z0-9]{1,8}$, or be null for all');
  if (readings !== undefined && typeof readings !== 'boolean') return bad('bad_readings', 'readings must be true or false');
  for (const [name, v] of [['sensor', sensor], ['metric', metric]] as const) {
    if (v !== undefined && v !== null && (typeof v !== 'string' || !NAME.test(v))) return bad(`bad_${name}`, `${name} must be a sensor or metric name`);
  }
  return {
    ok: true,
    message: {
      type: 'subscribe', city: typeof city === 'string' ? city.toUpperCase() : undefined,
      context: allContexts ? null : (context as string).toUpperCase(),
      readings: readings ?? (typeof sensor === 'string' || typeof metric === 'string'),
      sensor: (sensor as string | undefined) ?? null, metric: (metric as string | undefined) ?? null,
    },
  };
}
