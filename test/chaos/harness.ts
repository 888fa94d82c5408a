import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { loadConfigFile } from '../../gateway/config/load.js';
import { eventId } from '../../gateway/events/event-id.js';
import { TOPICS } from '../../gateway/events/topics.js';
import { ScoreStage } from '../../gateway/pipeline/score-stage.js';
import { SensorDirectory } from '../../gateway/pipeline/sensor-directory.js';
import { Store, type ScoreRow, type WindowRow } from '../../gateway/store/store.js';
import { consumeCommitted, type Delivered } from '../support/sync-check.js';

/**
 * The chaos suite's two sizes. `npm test` runs the short one (about 2–3 minutes in all); `npm run chaos`
 * sets UCID_CHAOS=full: 20 kills, an hour of soak, longer uplink outages. Single knobs can be overridden.
 */
export const CHAOS_FULL = process.env.UCID_CHAOS === 'full';
const num = (name: string, short: number, full: number) => Number(process.env[name] ?? (CHAOS_FULL ? full : short));
export const CHAOS = {
  kills: num('UCID_CHAOS_KILLS', 3, 20),
  soakMs: num('UCID_CHAOS_SOAK_MS', 45_000, 3_600_000),
  /** Sensors × rate for the soak: the 1,000 sensors at 1 Hz of the RSS target in the full run. */
  soakSensors: num('UCID_CHAOS_SOAK_SENSORS', 200, 1_000),
  soakHz: num('UCID_CHAOS_SOAK_HZ', 1, 1),
  outageMs: num('UCID_CHAOS_OUTAGE_MS', 4_000, 60_000),
};
export const log = (msg: string, data: object = {}) => {
  if (process.env.UCID_CHAOS_QUIET !== '1') process.stderr.write(`[chaos] ${msg} ${JSON.stringify(data)}\n`);
};

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Windows short enough that many close (and scores and alerts follow) within seconds. */
export const FAST_WINDOWS = {
  defaults: { tumbling: '2s', sliding: null, sessionGap: '3s', allowedLateness: '500ms', revisionHorizon: '20s', idleClose: '2s' },
};

export interface SensorSpec {
  id: string;
  lat: number;
  lon: number;
  contexts: string[];
  expectedInterval: string;
}

/** `n` pm25 sensors, two per H3 cell, in the CLIMATE context. */
export function chaosSensors(prefix: string, n: number, expectedInterval = '200ms'): SensorSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`, lat: 41.0 + Math.floor(i / 2) * 0.01, lon: 28.95, contexts: ['CLIMATE'], expectedInterval,
  }));
}

export interface FleetOptions {
  sensors: readonly string[];
  metric?: string;
  qos?: 0 | 1;
  /** Publishes in flight per client. */
  inflight?: number;
  clients?: number;
  /** Publishes per second per client (0: as fast as acknowledgements come). */
  rate?: number;
  /** One in `lateEvery` readings is stamped 3 s in the past (late, revising a closed window); 0: never. */
  lateEvery?: number;
  /** pm25 value for a sensor at a time: the default swings between clean and polluted air every 6 s, so CLIMATE alerts rise and clear. */
  valueAt?: (sensor: string, ts: number) => number;
  /** Republish unacknowledged messages after a reconnect (a QoS 1 device that keeps its queue). */
  retry?: boolean;
  /** Remember every acknowledged (sensor, ts); off for long soaks, where only counts are kept. */
  track?: boolean;
}

const defaultValue = (sensor: string, ts: number) => (Math.floor(ts / 6_000) % 2 === 0 ? 8 : 280) + (sensor.length % 5);

/**
 * QoS 1 publishers that remember, across gateway kills, which readings the gateway acknowledged. Every reading
 * of a sensor has a distinct event time, so (sensor, ts) names it in the database.
 */
export class PublisherFleet {
  readonly acked = new Map<string, Set<number>>();
  readonly used = new Map<string, Set<number>>();
  readonly stats = { published: 0, acked: 0, errors: 0, reconnects: 0 };
  private clients: MqttClient[] = [];
  private running = false;
  private readonly options: Required<FleetOptions>;

  constructor(options: FleetOptions) {
    this.options = {
      metric: 'pm25', qos: 1, inflight: 20, clients: 2, rate: 0, lateEvery: 0, valueAt: defaultValue, retry: false, track: true, ...options,
    };
    for (const s of options.sensors) {
      this.acked.set(s, new Set());
      this.used.set(s, new Set());
    }
  }

  get ackedCount(): number {
    let n = 0;
    for (const s of this.acked.values()) n += s.size;
    return n;
  }

  /** Starts the clients on `port`; they stop on their own when the connection goes (unless `retry`). */
  async attach(port: number): Promise<void> {
    this.running = true;
    const { clients, sensors } = this.options;
    const groups = Array.from({ length: clients }, (_, c) => sensors.filter((_, i) => i % clients === c));
    this.clients = await Promise.all(groups.map((group, c) => this.client(port, group, c)));
  }

  async detach(): Promise<void> {
    this.running = false;
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
    this.clients = [];
  }

  private nextTs(sensor: string, late: boolean): number {
    if (!this.options.track) return late ? Date.now() - 3_000 : Date.now();
    const used = this.used.get(sensor)!;
    let ts = late ? Date.now() - 3_000 : Date.now();
    while (used.has(ts)) ts++;
    used.add(ts);
    return ts;
  }

  private async client(port: number, group: string[], index: number): Promise<MqttClient> {
    const { qos, inflight, rate, lateEvery, metric, valueAt, retry } = this.options;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: `chaos-${index}-${randomUUID().slice(0, 8)}`, reconnectPeriod: retry ? 300 : 0, connectTimeout: 5_000, clean: true,
    });
    client.on('error', () => this.stats.errors++);
    client.on('reconnect', () => this.stats.reconnects++);
    let seq = 0;
    let outstanding = 0;
    const publishOne = () => {
      if (!this.running || (!retry && !client.connected)) return;
      const sensor = group[seq % group.length]!;
      const late = lateEvery > 0 && seq % lateEvery === lateEvery - 1;
      seq++;
      const ts = this.nextTs(sensor, late);
      outstanding++;
      this.stats.published++;
      client.publish(`sensors/${metric}/${sensor}`, JSON.stringify({ value: valueAt(sensor, ts), ts }), { qos }, (err) => {
        outstanding--;
        if (err) {
          this.stats.errors++;
          return;
        }
        if (this.options.track) this.acked.get(sensor)!.add(ts);
        this.stats.acked++;
        if (!rate) publishOne();
      });
    };
    if (rate) {
      // paced by elapsed time, so a late timer catches up instead of drifting below the rate
      const started = performance.now();
      let paced = 0;
      const timer = setInterval(() => {
        if (!this.running) return clearInterval(timer);
        const due = Math.floor(((performance.now() - started) / 1000) * rate);
        while (paced < due && outstanding < inflight * 10) {
          paced++;
          publishOne();
        }
      }, 50);
    } else {
      for (let i = 0; i < inflight; i++) publishOne();
      // refill after a reconnect (retry mode): mqtt.js resends what was in flight, new publishes top up
      client.on('connect', () => {
        for (let i = outstanding; i < inflight; i++) publishOne();
      });
    }
    return client;
  }
}

/** A read-only snapshot of the gateway's file: one transaction, so every check sees one committed state. */
export function withSnapshot<T>(dbPath: string, work: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true });
  db.pragma('busy_timeout = 5000');
  try {
    return db.transaction(() => work(db))();
  } finally {
    db.close();
  }
}

/** Acknowledged readings not in the database: must be none. */
export function missingAcked(db: Database.Database, fleet: PublisherFleet, metric = 'pm25'): string[] {
  const stmt = db.prepare('SELECT ts FROM readings WHERE sensor_id = ? AND metric = ?');
  const missing: string[] = [];
  for (const [sensor, acked] of fleet.acked) {
    const stored = new Set((stmt.all(sensor, metric) as Array<{ ts: number }>).map((r) => r.ts));
    for (const ts of acked) if (!stored.has(ts)) missing.push(`${sensor}@${ts}`);
  }
  return missing;
}

interface StoredReading {
  value: number;
  ts: number;
  quality: string;
  lateness: string;
}

/**
 * Every stored tumbling and session window against the readings stored for it: count, mean, min, max, bad count
 * (DESIGN §4: a window's row is rewritten in the transaction of every reading that changes it, so at any
 * committed state they agree). With `afterRetention`, windows that may have lost readings to retention are skipped.
 */
export function windowProblems(db: Database.Database, options: { afterRetention?: boolean; limit?: number } = {}): { checked: number; problems: string[] } {
  const limit = options.limit ?? 20;
  const oldest = options.afterRetention ? (db.prepare('SELECT min(ts) AS ts FROM readings').get() as { ts: number | null }).ts ?? Infinity : -Infinity;
  const windows = db.prepare(`SELECT kind, sensor_id AS sensorId, metric, start_ms AS startMs, end_ms AS endMs, revision, count, mean, min, max,
    bad_count AS badCount FROM window_results WHERE kind = 'tumbling'`).all() as WindowRow[];
  const readings = db.prepare(`SELECT value, ts, quality, lateness FROM readings WHERE sensor_id = ? AND metric = ? AND ts >= ? AND ts < ?`);
  const problems: string[] = [];
  let checked = 0;
  for (const w of windows) {
    if (w.startMs < oldest + 10_000) continue;
    checked++;
    const rows = (readings.all(w.sensorId, w.metric, w.startMs, w.endMs) as StoredReading[]).filter((r) => r.lateness !== 'late_dropped');
    const values = rows.filter((r) => r.quality !== 'bad').map((r) => r.value);
    const bad = rows.length - values.length;
    const mean = values.reduce((a, b) => a + b, 0) / (values.length || 1);
    const ok = values.length === w.count && bad === w.badCount && Math.abs(mean - w.mean) <= 1e-9 * Math.max(1, Math.abs(mean))
      && (values.length === 0 || (Math.min(...values) === w.min && Math.max(...values) === w.max));
    if (!ok && problems.length < limit) {
      problems.push(`${w.kind} ${w.sensorId}/${w.metric} [${w.startMs},${w.endMs}) rev ${w.revision}: stored count ${w.count} mean ${w.mean} bad ${w.badCount}; readings say count ${values.length} mean ${mean} bad ${bad}`);
    }
  }
  return { checked, problems };
}

/**
 * Every stored score recomputed by the gateway's own score stage from the stored windows, on a copy of the file:
 * a recomputation that differs would be written as a new revision, so none may come out.
 */
export async function scoreProblems(dbPath: string, configFile: string, copyPath: string): Promise<{ checked: number; staleDrift: number; problems: string[] }> {
  const source = new Database(dbPath, { readonly: true });
  try {
    await source.backup(copyPath);
  } finally {
    source.close();
  }
  const config = loadConfigFile(configFile);
  const store = new Store(copyPath);
  try {
    const directory = new SensorDirectory(config);
    const stage = new ScoreStage(store, directory, {
      gatewayId: config.gateway.id, h3Resolution: config.scoring.h3Resolution, staleHorizonMs: config.scoring.staleHorizon, rules: config.scoring.contexts,
    });
    const scores = store.db.prepare(`SELECT h3_index AS h3Index, context, window_start AS windowStart, window_end AS windowEnd, score, flags
      FROM scores`).all() as ScoreRow[];
    const problems: string[] = [];
    let staleDrift = 0;
    for (const s of scores) {
      const sensor = directory.sensorsIn(s.h3Index).find((p) => directory.feeds(p, s.context));
      const metric = Object.keys(config.scoring.contexts[s.context]?.metrics ?? {}).find((m) => sensor && directory.contextsFor(sensor, m).includes(s.context));
      if (!sensor || !metric) continue;
      // any tumbling window of the slot marks the cell × context dirty; the stage recomputes from what is stored
      const probe = { kind: 'tumbling', sensorId: sensor.sensorId, metric, startMs: s.windowStart, endMs: s.windowEnd } as WindowRow;
      const changed = store.transaction(() => stage.onTumblingWindows([probe], Date.now()));
      for (const c of changed) {
        // A STALE score used an earlier window of a silent sensor; a later revision of that earlier window does not
        // recompute it (by design, docs/pipeline.md), so drift there is counted, not a fault.
        if (s.flags.split(';').includes('STALE')) staleDrift++;
        else problems.push(`score ${c.h3Index}/${c.context} window end ${c.windowEnd}: stored ${s.score} ${s.flags} but recomputed ${c.score} ${c.flags}`);
      }
    }
    return { checked: scores.length, staleDrift, problems };
  } finally {
    store.close();
  }
}

/**
 * The Kafka side after the gateway drained: read with read_committed, every event once. Expected events come from
 * the store (delivered outbox rows are deleted): each score's revisions 0..r (the score table keeps the last one,
 * and a revision is an event of its own) and every alert event. Revisions of one window arrive in order.
 */
export async function kafkaProblems(bootstrap: string, dbPath: string, gatewayId: string): Promise<{ delivered: number; expected: number; problems: string[] }> {
  const expected = new Map<string, string>();
  withSnapshot(dbPath, (db) => {
    const scores = db.prepare('SELECT city, h3_index AS h3Index, context, window_end AS windowEnd, revision FROM scores').all() as ScoreRow[];
    for (const s of scores) {
      const key = `${s.city}:${s.h3Index}:${s.context}`;
      for (let r = 0; r <= s.revision; r++) expected.set(eventId(gatewayId, 'ScoreUpdate', key, s.windowEnd, r), `score ${key} ${s.windowEnd} rev ${r}`);
    }
    for (const a of db.prepare('SELECT event_id AS id, kind, state, key FROM alert_events').all() as Array<{ id: string; kind: string; state: string; key: string }>) {
      expected.set(a.id, `alert ${a.kind} ${a.state} ${a.key}`);
    }
  });
  const delivered: Delivered[] = await consumeCommitted(bootstrap, [TOPICS.scores, TOPICS.alerts], gatewayId, expected.size);
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const d of delivered) seen.set(d.eventId, (seen.get(d.eventId) ?? 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push(`duplicate: ${id} (${expected.get(id) ?? '?'}) × ${n}`);
  for (const [id, what] of expected) if (!seen.has(id)) problems.push(`missing (gap): ${what}`);
  for (const d of delivered) if (d.kind !== 'Gap' && !expected.has(d.eventId)) problems.push(`unexpected: ${d.kind} ${d.key} ${d.eventId}`);
  const byWindow = new Map<string, Delivered[]>();
  for (const d of delivered.filter((x) => x.kind === 'ScoreUpdate')) {
    const w = d.value.window as { end: string };
    const k = `${d.key}|${w.end}`;
    byWindow.set(k, [...(byWindow.get(k) ?? []), d]);
  }
  for (const [k, list] of byWindow) {
    const revisions = [...list].sort((a, b) => a.offset - b.offset).map((d) => (d.value.window as { revision: number }).revision);
    if (revisions.some((r, i) => i > 0 && r <= revisions[i - 1]!)) problems.push(`revisions out of order for ${k}: ${revisions.join(',')}`);
  }
  return { delivered: delivered.length, expected: expected.size, problems: problems.slice(0, 30) };
}

export const silentLogger = pino({ level: 'silent' });
