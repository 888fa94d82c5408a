import type { Reading } from '../reading.js';
import type { WindowResult } from '../windows/index.js';
import type { RejectedInput } from '../../drivers/driver.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import { ReadingIndex, type StoredReading } from './reading-index.js';

export type Lateness = 'on_time' | 'late_revised' | 'late_dropped';

/** A window result as stored: the engine's own shape (DESIGN §4). */
export type WindowRow = WindowResult;
export type WindowKey = Pick<WindowRow, 'kind' | 'sensorId'>;

export interface ScoreRow {
  h3Index: string;
  context: string;
  windowEnd: number;
  windowStart: number;
  city: string;
  revision: number;
  score: number;
  grade: string;
  confidence: number;
  flags: string;
  ucid: string;
  eventId: string;
  computedAt: number;
}

export interface OutboxRow {
  eventId: string;
  kind: string;
  topic: string;
  key: string;
  payload: string;
  createdAt: number;
  windowEnd: number | null;
  compactionKey: string | null;
}

const WINDOW_COLUMNS = `kind, sensor_id AS sensorId, metric, start_ms AS startMs, end_ms AS endMs, revision, count, mean, min, max,
  last, stddev, uncertain_count AS uncertainCount, bad_count AS badCount, first_ts AS firstTs, last_ts AS lastTs`;
const SCORE_COLUMNS = `h3_index AS h3Index, context, window_end AS windowEnd, window_start AS windowStart, city, revision, score,
  grade, confidence, flags, ucid, event_id AS eventId, computed_at AS computedAt`;

export interface ScoreFilter {
  city?: string;
  context?: string;
}

/**
 * Latest score per cell and context; takes a bare connection so a read-only CLI can use it beside a running gateway.
 * A skip scan of the primary key, three index seeks per cell and context: the dashboard reads it at start-up, and
 * the scores table only grows (a correlated max() per row took ~0.4 s at 370,000 rows).
 */
export function latestScores(db: SqliteDatabase, filter: ScoreFilter): ScoreRow[] {
  const nextContext = db.prepare('SELECT h3_index AS h3, context FROM scores WHERE h3_index = ? AND context > ? ORDER BY h3_index, context LIMIT 1');
  const nextCell = db.prepare('SELECT h3_index AS h3, context FROM scores WHERE h3_index > ? ORDER BY h3_index, context LIMIT 1');
  const latest = db.prepare(`SELECT ${SCORE_COLUMNS} FROM scores WHERE h3_index = ? AND context = ? ORDER BY window_end DESC LIMIT 1`);
  type Key = { h3: string; context: string } | undefined;
  const rows: ScoreRow[] = [];
  for (let key = nextCell.get('') as Key; key; key = (nextContext.get(key.h3, key.context) ?? nextCell.get(key.h3)) as Key) {
    if (filter.context !== undefined && key.context !== filter.context) continue;
    const row = latest.get(key.h3, key.context) as ScoreRow;
    if (filter.city === undefined || row.city === filter.city) rows.push(row);
  }
  // SQLite's BINARY order, as the ORDER BY city, context, h3_index this replaced: the values are ASCII
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows.sort((a, b) => cmp(a.city, b.city) || cmp(a.context, b.context) || cmp(a.h3Index, b.h3Index));
}

const WINDOW_SNAPSHOT_KEY = 'windows.snapshot';

type ReplayRow = [id: number, sensorId: string, metric: string, value: number, ts: number, quality: Reading['quality'], receivedAt: number];

/** The one SQLite file (DESIGN §1.3). Statements are prepared once; callers group writes in `transaction`. */
export class Store {
  readonly db: SqliteDatabase;
  private readonly statements;
  private readonly readingIndex: ReadingIndex;
  /** Readings a crash had left out of the (sensor, metric, ts) index, found at open (they are written with the next commits). */
  readonly unindexedAtOpen: number;

  constructor(file: string, options: { maxBytes?: number } = {}) {
    this.db = openDatabase(file, options);
    const db = this.db;
    this.statements = {
      insertReading: db.prepare(`INSERT INTO readings (sensor_id, metric, value, unit, ts, ts_from_arrival, quality, source, received_at, lateness)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      insertQuarantine: db.prepare('INSERT INTO quarantine (received_at, source, origin, reason, payload) VALUES (?, ?, ?, ?, ?)'),
      trimQuarantine: db.prepare('DELETE FROM quarantine WHERE id <= (SELECT max(id) FROM quarantine) - ?'),
      upsertWindow: db.prepare(`INSERT OR REPLACE INTO window_results (kind, sensor_id, start_ms, metric, end_ms, revision, count, mean, min, max,
        last, stddev, uncertain_count, bad_count, first_ts, last_ts, correlation_id) VALUES (@kind, @sensorId, @startMs, @metric, @endMs,
        @revision, @count, @mean, @min, @max, @last, @stddev, @uncertainCount, @badCount, @firstTs, @lastTs, @correlationId)`),
      windowRevision: db.prepare('SELECT revision FROM window_results WHERE kind = ? AND sensor_id = ? AND start_ms = ? AND metric = ?'),
      windowsAt: db.prepare(`SELECT ${WINDOW_COLUMNS} FROM window_results WHERE kind = 'tumbling' AND sensor_id = ? AND start_ms = ?`),
      latestWindowsBefore: db.prepare(`SELECT ${WINDOW_COLUMNS} FROM window_results w WHERE kind = 'tumbling' AND sensor_id = ?
        AND start_ms = (SELECT max(start_ms) FROM window_results WHERE kind = 'tumbling' AND sensor_id = w.sensor_id AND start_ms < ? AND start_ms >= ?)`),
      scoreAt: db.prepare(`SELECT ${SCORE_COLUMNS} FROM scores WHERE h3_index = ? AND context = ? AND window_end = ?`),
      upsertScore: db.prepare(`INSERT OR REPLACE INTO scores (h3_index, context, window_end, window_start, city, revision, score, grade, confidence,
        flags, ucid, event_id, computed_at, correlation_id) VALUES (@h3Index, @context, @windowEnd, @windowStart, @city, @revision, @score,
        @grade, @confidence, @flags, @ucid, @eventId, @computedAt, @correlationId)`),
      insertOutbox: db.prepare(`INSERT OR IGNORE INTO outbox (event_id, kind, topic, msg_key, payload, bytes, created_at, window_end, compaction_key)
        VALUES (@eventId, @kind, @topic, @key, @payload, @bytes, @createdAt, @windowEnd, @compactionKey)`),
      readingAt: db.prepare('SELECT received_at AS receivedAt FROM readings WHERE id >= ? ORDER BY id LIMIT 1'),
      maxReadingId: db.prepare('SELECT coalesce(max(id), 0) AS id FROM readings'),
      minReadingId: db.prepare('SELECT coalesce(min(id), 0) AS id FROM readings'),
      readingsPage: db.prepare(`SELECT id, sensor_id, metric, value, ts, quality, received_at FROM readings WHERE id >= ? ORDER BY id LIMIT ?`).raw(true),
      deleteReadingsUpTo: db.prepare('DELETE FROM readings WHERE id <= ?'),
      // past every start of the key: a seek to the next key, not a step over each of this key's rows
      nextWindowKey: db.prepare(`SELECT kind, sensor_id AS sensorId FROM window_results WHERE (kind, sensor_id, start_ms) > (?, ?, ${Number.MAX_SAFE_INTEGER})
        ORDER BY kind, sensor_id, start_ms LIMIT 1`),
      deleteWindowsEndedBefore: db.prepare(`DELETE FROM window_results WHERE (kind, sensor_id, start_ms, metric) IN
        (SELECT kind, sensor_id, start_ms, metric FROM window_results WHERE kind = ? AND sensor_id = ? AND start_ms < ? AND end_ms < ? LIMIT ?)`),
      deleteScoresEndedBefore: db.prepare(`DELETE FROM scores WHERE (h3_index, context, window_end) IN
        (SELECT h3_index, context, window_end FROM scores WHERE window_end < ? ORDER BY window_end LIMIT ?)`),
      readingKeys: db.prepare('SELECT sensor_id AS sensorId, metric FROM reading_keys'),
      insertReadingKey: db.prepare('INSERT OR IGNORE INTO reading_keys (sensor_id, metric) VALUES (?, ?)'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
      deleteMeta: db.prepare('DELETE FROM meta WHERE key = ?'),
    };
    this.readingIndex = new ReadingIndex(db, { get: (key) => this.getMeta(key), set: (key, value) => this.setMeta(key, value) });
    this.unindexedAtOpen = this.readingIndex.recover(this.readingIdRange().max);
  }

  /** Every write goes through here: the readings index's waiting entries are written at a transaction's end. */
  transaction<T>(work: () => T): T {
    if (this.db.inTransaction) return this.db.transaction(work).immediate();
    const index = this.readingIndex;
    try {
      const result = this.db.transaction(() => {
        const out = work();
        index.flushDue();
        return out;
      }).immediate();
      index.committed();
      return result;
    } catch (err) {
      index.rolledBack();
      throw err;
    }
  }

  /** Returns the reading's row id. */
  insertReading(r: Reading, lateness: Lateness): number {
    const id = Number(this.statements.insertReading.run(r.sensorId, r.metric, r.value, r.unit, r.ts, r.tsFromArrival ? 1 : 0, r.quality, r.source, r.receivedAt, lateness).lastInsertRowid);
    this.readingIndex.added(r.sensorId, r.metric, id);
    return id;
  }

  insertQuarantine(input: RejectedInput, receivedAt: number): void {
    const payload = typeof input.payload === 'string' ? Buffer.from(input.payload) : Buffer.from(input.payload);
    this.statements.insertQuarantine.run(receivedAt, input.source, input.origin, input.reason, payload);
  }

  trimQuarantine(maxRows: number): void {
    this.statements.trimQuarantine.run(maxRows);
  }

  upsertWindow(w: WindowRow, correlationId: string | null = null): void {
    this.statements.upsertWindow.run({ ...w, correlationId });
  }

  /** Whether this window's revision (or a later one) is already stored: a replay re-emits what was committed. */
  hasWindow(w: Pick<WindowRow, 'kind' | 'sensorId' | 'startMs' | 'metric' | 'revision'>): boolean {
    const row = this.statements.windowRevision.get(w.kind, w.sensorId, w.startMs, w.metric) as { revision: number } | undefined;
    return row !== undefined && row.revision >= w.revision;
  }

  tumblingWindowsAt(sensorId: string, startMs: number): WindowRow[] {
    return this.statements.windowsAt.all(sensorId, startMs) as WindowRow[];
  }

  /** The sensor's most recent tumbling windows that start before `beforeMs` but not before `notBeforeMs`. */
  latestTumblingWindowsBefore(sensorId: string, beforeMs: number, notBeforeMs: number): WindowRow[] {
    return this.statements.latestWindowsBefore.all(sensorId, beforeMs, notBeforeMs) as WindowRow[];
  }

  scoreAt(h3Index: string, context: string, windowEnd: number): ScoreRow | undefined {
    return this.statements.scoreAt.get(h3Index, context, windowEnd) as ScoreRow | undefined;
  }

  upsertScore(row: ScoreRow, correlationId: string | null = null): void {
    this.statements.upsertScore.run({ ...row, correlationId });
  }

  latestScores(filter: ScoreFilter = {}): ScoreRow[] {
    return latestScores(this.db, filter);
  }

  /** False when an event with this id is already there (a replay). */
  insertOutbox(row: OutboxRow): boolean {
    return this.statements.insertOutbox.run({ ...row, bytes: Buffer.byteLength(row.payload) + row.key.length }).changes === 1;
  }

  /** First reading id received at or after `receivedAtMs`; ids grow with arrival, so a binary search on them works. */
  firstReadingIdReceivedSince(receivedAtMs: number): number {
    let low = (this.statements.minReadingId.get() as { id: number }).id;
    let high = (this.statements.maxReadingId.get() as { id: number }).id + 1;
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      const row = this.statements.readingAt.get(mid) as { receivedAt: number } | undefined;
      if (!row || row.receivedAt >= receivedAtMs) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /**
   * Readings in arrival order from `id`, a page at a time (better-sqlite3 cannot write while a query iterates),
   * with only what the window engine reads: a restart replays tens of thousands, so rows come back as arrays.
   */
  readingsPage(id: number, limit: number): Array<Reading & { id: number }> {
    return (this.statements.readingsPage.all(id, limit) as ReplayRow[]).map(([rowId, sensorId, metric, value, ts, quality, receivedAt]) => ({
      id: rowId, sensorId, metric, value, ts, quality, receivedAt, unit: '', source: '',
    }));
  }

  readingKeys(): Array<{ sensorId: string; metric: string }> {
    return this.statements.readingKeys.all() as Array<{ sensorId: string; metric: string }>;
  }

  insertReadingKey(sensorId: string, metric: string): void {
    this.statements.insertReadingKey.run(sensorId, metric);
  }

  /** The key's reading with the highest event time before `tsMs`. */
  latestReadingBefore(sensorId: string, metric: string, tsMs: number): StoredReading | undefined {
    return this.readingIndex.latestBefore(sensorId, metric, tsMs);
  }

  newestReadingTs(sensorId: string, metric: string): number | null {
    return this.readingIndex.newestTs(sensorId, metric);
  }

  /** A key's readings with fromTs <= ts < toTs stored before row beforeId, in arrival order. */
  keyReadingsBefore(sensorId: string, metric: string, fromTs: number, toTs: number, beforeId: number): StoredReading[] {
    return this.readingIndex.between(sensorId, metric, fromTs, toTs, beforeId);
  }

  /** A sensor's readings of one metric since `sinceMs`, oldest first; the newest `limit` when there are more (the dashboard's history). */
  readingHistory(sensorId: string, metric: string, sinceMs: number, limit: number): StoredReading[] {
    return this.readingIndex.newestSince(sensorId, metric, sinceMs, limit).reverse();
  }

  deleteReadingsUpTo(id: number): number {
    this.readingIndex.deleteUpTo(id);
    return this.statements.deleteReadingsUpTo.run(id).changes;
  }

  /** The (kind, sensor) of stored window results after `after` in key order (a step of a skip scan), or null past the last. */
  nextWindowKey(after: WindowKey | null): WindowKey | null {
    return (this.statements.nextWindowKey.get(after?.kind ?? '', after?.sensorId ?? '') as WindowKey | undefined) ?? null;
  }

  /** At most `limit` of one key's window results that ended before `endMs` (found by the primary key: started before it too). */
  deleteWindowsEndedBefore(key: WindowKey, endMs: number, limit: number): number {
    return this.statements.deleteWindowsEndedBefore.run(key.kind, key.sensorId, endMs, endMs, limit).changes;
  }

  /** At most `limit` scores whose window ended before `endMs`, oldest first. */
  deleteScoresEndedBefore(endMs: number, limit: number): number {
    return this.statements.deleteScoresEndedBefore.run(endMs, limit).changes;
  }

  readingIdRange(): { min: number; max: number } {
    return { min: (this.statements.minReadingId.get() as { id: number }).id, max: (this.statements.maxReadingId.get() as { id: number }).id };
  }

  getMeta(key: string): string | undefined {
    return (this.statements.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.statements.setMeta.run(key, value);
  }

  /** The window engine saved at a clean shutdown (a blob in `meta`), replacing any earlier one. */
  saveWindowSnapshot(bytes: Uint8Array): void {
    this.statements.setMeta.run(WINDOW_SNAPSHOT_KEY, bytes);
  }

  /**
   * Reads and deletes the saved window engine (it describes the store only until the next reading; the caller
   * checks that). A delete that fails, as on a full disk, leaves it for that check at the next start.
   */
  takeWindowSnapshot(): Buffer | undefined {
    const value = (this.statements.getMeta.get(WINDOW_SNAPSHOT_KEY) as { value: unknown } | undefined)?.value;
    if (value === undefined) return undefined;
    try {
      this.statements.deleteMeta.run(WINDOW_SNAPSHOT_KEY);
    } catch {
      /* kept; stale as soon as a reading is stored */
    }
    return Buffer.isBuffer(value) ? value : undefined;
  }

  /** Writes the readings index's waiting entries first; if that fails (a full disk) the next open finds them. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.readingIndex.flushAllNext();
      this.transaction(() => undefined);
    } catch {
      /* recovered at the next open */
    }
    this.db.close();
  }
}
