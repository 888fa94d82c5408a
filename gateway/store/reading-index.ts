import type { Reading } from '../reading.js';
import type { SqliteDatabase } from './database.js';

export type StoredReading = Reading & { id: number };

/** A stored reading as the window engine takes it, with its row id (`r`: the readings table's alias). */
const readingColumns = (r = 'readings') => `${r}.id, ${r}.sensor_id AS sensorId, ${r}.metric, ${r}.value, ${r}.unit, ${r}.ts,
  ${r}.ts_from_arrival = 1 AS tsFromArrival, ${r}.quality, ${r}.source, ${r}.received_at AS receivedAt`;

export const INDEXED_BELOW_KEY = 'readings.indexedBelow';
/** A key's entries go into the index together once this many wait: about one index page, written once. */
const FLUSH_AT_ENTRIES = 64;
/** Every this many readings, keys with an entry more than MAX_LAG_READINGS ids old are written too… */
const SWEEP_EVERY_READINGS = 5_000;
/** …so a restart after a crash re-indexes at most about this many readings (`recover`). */
const MAX_LAG_READINGS = 20_000;

/** The store's `meta` rows, where the bound lives. */
export interface MetaAccess {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

interface PendingKey {
  readonly sensorId: string;
  readonly metric: string;
  /** Row ids not yet in reading_index, oldest first; a rolled-back id may linger (or repeat) and is skipped where read. */
  readonly ids: number[];
}

/**
 * The readings' (sensor, metric, ts) index, written a key at a time (docs/pipeline.md "The readings index").
 * As an index on `readings` it cost every commit one page write per key in it: a 50-reading commit of 50 keys
 * wrote ~50 index pages to the WAL, two thirds of the commit's CPU. Here a committed reading's id waits in memory
 * until its key has a page's worth, and every query reads the waiting ids too. `meta` keeps a bound below which
 * every reading is indexed; `recover` puts what a crash left above it back in waiting.
 */
export class ReadingIndex {
  private readonly pending = new Map<string, Map<string, PendingKey>>();
  private readonly due = new Set<PendingKey>();
  /** Written in the open transaction; their ids leave `pending` once it commits. */
  private flushing: Array<[PendingKey, number]> = [];
  private lastId = 0;
  private sweepAtId = 0;
  private readonly statements;

  constructor(db: SqliteDatabase, private readonly meta: MetaAccess) {
    const indexed = `FROM reading_index i JOIN readings r ON r.id = i.id WHERE i.sensor_id = ? AND i.metric = ?`;
    this.statements = {
      insertFrom: db.prepare(`INSERT OR IGNORE INTO reading_index (sensor_id, metric, ts, id) SELECT sensor_id, metric, ts, id FROM readings
        WHERE id IN (SELECT value FROM json_each(?))`),
      idsSince: db.prepare('SELECT id, sensor_id, metric FROM readings WHERE id >= ? ORDER BY id').raw(true),
      deleteUpTo: db.prepare('DELETE FROM reading_index WHERE (sensor_id, metric, ts, id) IN (SELECT sensor_id, metric, ts, id FROM readings WHERE id <= ?)'),
      rows: db.prepare(`SELECT ${readingColumns()} FROM readings WHERE id IN (SELECT value FROM json_each(?)) AND sensor_id = ? AND metric = ?`),
      latestBefore: db.prepare(`SELECT ${readingColumns('r')} ${indexed} AND i.ts < ? ORDER BY i.ts DESC LIMIT 1`),
      newestTs: db.prepare('SELECT max(ts) AS ts FROM reading_index WHERE sensor_id = ? AND metric = ?'),
      between: db.prepare(`SELECT ${readingColumns('r')} ${indexed} AND i.ts >= ? AND i.ts < ? AND i.id < ?`),
      newestSince: db.prepare(`SELECT ${readingColumns('r')} ${indexed} AND i.ts >= ? ORDER BY i.ts DESC LIMIT ?`),
    };
  }

  /** At open: readings a crash left out of reading_index (above the bound) wait like new ones; no write, so a full disk opens. */
  recover(maxId: number): number {
    const bound = Number(this.meta.get(INDEXED_BELOW_KEY) ?? 0);
    let waiting = 0;
    for (const [id, sensorId, metric] of this.statements.idsSince.iterate(bound) as Iterable<[number, string, string]>) {
      this.added(sensorId, metric, id);
      waiting++;
    }
    this.lastId = maxId;
    return waiting;
  }

  added(sensorId: string, metric: string, id: number): void {
    let metrics = this.pending.get(sensorId);
    if (!metrics) this.pending.set(sensorId, (metrics = new Map()));
    let key = metrics.get(metric);
    if (!key) metrics.set(metric, (key = { sensorId, metric, ids: [] }));
    key.ids.push(id);
    if (key.ids.length >= FLUSH_AT_ENTRIES) this.due.add(key);
    this.lastId = id;
  }

  /** Inside the transaction's end: the due keys' entries, and now and then the bound. */
  flushDue(): void {
    const sweep = this.lastId >= this.sweepAtId;
    if (sweep) {
      const behind = this.lastId - MAX_LAG_READINGS;
      for (const key of this.keys()) if (key.ids.length && key.ids[0]! <= behind) this.due.add(key);
    }
    for (const key of this.due) {
      this.statements.insertFrom.run(JSON.stringify(key.ids));
      this.flushing.push([key, key.ids.length]);
    }
    this.due.clear();
    if (!sweep) return;
    let bound = this.lastId + 1;
    const flushed = new Set(this.flushing.map(([key]) => key));
    for (const key of this.keys()) if (key.ids.length && !flushed.has(key)) bound = Math.min(bound, key.ids[0]!);
    this.meta.set(INDEXED_BELOW_KEY, String(bound));
    this.sweepAtId = this.lastId + SWEEP_EVERY_READINGS;
  }

  committed(): void {
    for (const [key, n] of this.flushing) {
      key.ids.splice(0, n);
      if (key.ids.length > 0) continue;
      // a key with nothing waiting is dropped: a feed of short-lived ids (vehicles) would otherwise keep one each
      const metrics = this.pending.get(key.sensorId);
      metrics?.delete(key.metric);
      if (metrics?.size === 0) this.pending.delete(key.sensorId);
    }
    this.flushing = [];
  }

  rolledBack(): void {
    for (const [key] of this.flushing) this.due.add(key);
    this.flushing = [];
    this.sweepAtId = 0;
  }

  /** Everything at the next transaction's end (a clean close), so the bound is the newest reading. */
  flushAllNext(): void {
    for (const key of this.keys()) if (key.ids.length) this.due.add(key);
    this.sweepAtId = 0;
  }

  /** Before `DELETE FROM readings WHERE id <= upTo`: their entries. Waiting ids of deleted rows are skipped where read. */
  deleteUpTo(upTo: number): void {
    this.statements.deleteUpTo.run(upTo);
  }

  latestBefore(sensorId: string, metric: string, tsMs: number): StoredReading | undefined {
    let latest = this.statements.latestBefore.get(sensorId, metric, tsMs) as StoredReading | undefined;
    for (const r of this.waitingRows(sensorId, metric)) if (r.ts < tsMs && (!latest || r.ts > latest.ts)) latest = r;
    return latest;
  }

  newestTs(sensorId: string, metric: string): number | null {
    let newest = (this.statements.newestTs.get(sensorId, metric) as { ts: number | null }).ts;
    for (const r of this.waitingRows(sensorId, metric)) if (newest === null || r.ts > newest) newest = r.ts;
    return newest;
  }

  /** fromTs <= ts < toTs and id < beforeId, in arrival (id) order. */
  between(sensorId: string, metric: string, fromTs: number, toTs: number, beforeId: number): StoredReading[] {
    const rows = this.statements.between.all(sensorId, metric, fromTs, toTs, beforeId) as StoredReading[];
    const waiting = this.waitingRows(sensorId, metric).filter((r) => r.ts >= fromTs && r.ts < toTs && r.id < beforeId);
    return withoutDuplicateIds([...rows, ...waiting]).sort((a, b) => a.id - b.id);
  }

  /** The newest `limit` readings with ts >= sinceMs, newest first. */
  newestSince(sensorId: string, metric: string, sinceMs: number, limit: number): StoredReading[] {
    const rows = this.statements.newestSince.all(sensorId, metric, sinceMs, limit) as StoredReading[];
    const waiting = this.waitingRows(sensorId, metric).filter((r) => r.ts >= sinceMs);
    if (waiting.length === 0) return rows;
    return withoutDuplicateIds([...rows, ...waiting]).sort((a, b) => b.ts - a.ts || b.id - a.id).slice(0, limit);
  }

  private waitingRows(sensorId: string, metric: string): StoredReading[] {
    const key = this.pending.get(sensorId)?.get(metric);
    if (!key) return [];
    return this.statements.rows.all(JSON.stringify(key.ids), sensorId, metric) as StoredReading[];
  }

  private *keys(): Iterable<PendingKey> {
    for (const metrics of this.pending.values()) yield* metrics.values();
  }
}

function withoutDuplicateIds(rows: StoredReading[]): StoredReading[] {
  const seen = new Set<number>();
  return rows.filter((r) => !seen.has(r.id) && seen.add(r.id));
}
