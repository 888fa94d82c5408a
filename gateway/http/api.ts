import type { IncomingMessage } from 'node:http';
import type { Store } from '../store/store.js';
import { alertFields, readingFields, scoreFields, statusFields } from './messages.js';
import type { AlertSource } from './status.js';
import type { WsHub } from './ws-hub.js';

export interface ApiContext {
  hub: WsHub;
  store: Store;
  defaultCity: string;
  alertSource(): AlertSource | null;
}

export interface Reply {
  status: number;
  body: unknown;
}

const CITY = /^[A-Z]{3}$/;
const MAX_READINGS = 10_000;
const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const fail = (status: number, error: string, message: string): Reply => ({ status, body: { error, message } });

function cityParam(url: URL, fallback: string): string | null {
  const city = (url.searchParams.get('city') ?? fallback).toUpperCase();
  return CITY.test(city) ? city : null;
}

/** `since` as epoch ms, ISO 8601, or a look-back such as `15m`; undefined when unparsable. */
export function parseSince(value: string | null, now: number): number | undefined {
  if (value === null || value === '') return now - 3_600_000;
  const back = DURATION.exec(value);
  if (back) return now - Number(back[1]) * UNIT_MS[back[2] as keyof typeof UNIT_MS];
  if (/^\d+$/.test(value)) return Number(value);
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON API under /api (docs/dashboard.md); the caller has checked the token. */
export async function handleApi(req: IncomingMessage, url: URL, ctx: ApiContext): Promise<Reply> {
  const route = url.pathname.slice('/api'.length);
  const ack = /^\/alerts\/([\w.:-]{1,200})\/ack$/.exec(route);
  if (ack) {
    if (req.method !== 'POST') return fail(405, 'method_not_allowed', 'use POST');
    return acknowledge(req, ack[1]!, ctx);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'method_not_allowed', 'use GET');
  const city = cityParam(url, ctx.defaultCity);
  if (!city) return fail(400, 'bad_city', 'city must be a 3-letter UCID city code');
  switch (route) {
    case '/scores': {
      const context = url.searchParams.get('context')?.toUpperCase() ?? null;
      return { status: 200, body: { city, scores: ctx.hub.state.latestScores(city, context).map((s) => scoreFields(s.row, s.previous)) } };
    }
    case '/alerts': {
      const { active, history } = ctx.hub.alerts(city);
      return { status: 200, body: { city, active: active.map(alertFields), history: history.map(alertFields) } };
    }
    case '/status':
      return { status: 200, body: statusFields(ctx.hub.snapshot()) };
    case '/sensors':
      return { status: 200, body: { city, sensors: ctx.hub.state.latestReadings(city).map(readingFields) } };
    case '/readings':
      return readings(url, ctx);
    default:
      return fail(404, 'not_found', `no API route ${route}`);
  }
}

function readings(url: URL, ctx: ApiContext): Reply {
  const sensor = url.searchParams.get('sensor');
  const metric = url.searchParams.get('metric');
  if (!sensor || !metric) return fail(400, 'missing_parameter', 'sensor and metric are required');
  const since = parseSince(url.searchParams.get('since'), Date.now());
  if (since === undefined) return fail(400, 'bad_since', 'since must be epoch ms, ISO 8601, or a look-back such as 15m');
  const limit = Math.min(MAX_READINGS, Math.max(1, Number(url.searchParams.get('limit') ?? 2_000) || 2_000));
  const points = ctx.store.readingHistory(sensor, metric, since, limit);
  return {
    status: 200,
    body: { sensor_id: sensor, metric, unit: points.at(-1)?.unit ?? null, since, points: points.map((p) => [p.ts, p.value]) },
  };
}

async function acknowledge(req: IncomingMessage, eventId: string, ctx: ApiContext): Promise<Reply> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return fail(415, 'unsupported_media_type', 'send application/json');
  let by = 'dashboard';
  try {
    const text = await readBody(req, 4_096);
    const body = text ? (JSON.parse(text) as { by?: unknown }) : {};
    if (typeof body.by === 'string' && body.by.trim()) by = body.by.trim().slice(0, 64);
  } catch {
    return fail(400, 'bad_body', 'expected a small JSON object such as {"by": "technician"}');
  }
  const source = ctx.alertSource();
  if (!source) return fail(501, 'not_available', 'alert acknowledgement is not available in this gateway');
  const acked = await source.acknowledge(eventId, by);
  if (!acked) return fail(404, 'not_found', `no alert ${eventId}`);
  ctx.hub.broadcastAlert(acked);
  return { status: 200, body: alertFields(acked) };
}
