import type { Statement } from 'better-sqlite3';
import type { Store } from '../gateway/store/store.js';
import type { SqliteDatabase } from '../gateway/store/database.js';

/**
 * SQLite bytes per outbox row beyond payload + key: the other columns and four index entries. Measured by
 * scripts/bench/kafka-drain.mjs: 807 B on disk per score event of 484 B payload + key.
 */
export const OUTBOX_ROW_OVERHEAD = 320;

export interface OutboxRecord {
  seq: number;
  eventId: string;
  kind: string;
  topic: string;
  key: string;
  payload: string;
  bytes: number;
  createdAt: number;
}

/** Where the checkpoint record of a batch landed, persisted before the commit (docs/sync.md, crash points). */
export interface InFlight {
  fromSeq: number;
  toSeq: number;
  topic: string;
  partition: number;
  offset: string;
  correlationId: string;
}

export interface BacklogStats {
  events: number;
  /** Stored payload + key bytes plus OUTBOX_ROW_OVERHEAD per row: what the byte budget is checked against. */
  bytes: number;
  oldestCreatedAt: number | null;
}

export const META = {
  delivered: 'sync.delivered_seq',
  inflight: 'sync.inflight',
  status: 'sync.status',
} as const;

/**
 * Events not yet delivered (rows up to `sync.delivered_seq` are delivered and only wait to be purged).
 * Works on a read-only connection too (CLI) and before migration 3 has run.
 */
export function backlogStats(db: SqliteDatabase): BacklogStats {
  const hasStats = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox_stats'").get() !== undefined;
  const delivered = Number((db.prepare('SELECT value FROM meta WHERE key = ?').get(META.delivered) as { value: string } | undefined)?.value ?? 0);
  const sum = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) ?? { events: 0, bytes: 0 }) as { events: number; bytes: number };
  const all = hasStats ? sum('SELECT events, bytes FROM outbox_stats WHERE id = 1') : sum('SELECT count(*) AS events, coalesce(sum(bytes), 0) AS bytes FROM outbox');
  const done = sum('SELECT count(*) AS events, coalesce(sum(bytes), 0) AS bytes FROM outbox WHERE seq <= ?', delivered);
  const oldest = db.prepare('SELECT created_at AS at FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1').get(delivered) as { at: number } | undefined;
  const events = all.events - done.events;
  return { events, bytes: all.bytes - done.bytes + events * OUTBOX_ROW_OVERHEAD, oldestCreatedAt: oldest?.at ?? null };
}

/** The sync worker's view of the outbox and its bookkeeping in `meta` (DESIGN §5–6). */
export class SyncOutbox {
  private readonly db: SqliteDatabase;
  private readonly page: Statement;
  private readonly deleteUpTo: Statement;
  private readonly sumUpTo: Statement;
  private readonly subtract: Statement;
  private readonly deleteMeta: Statement;
  private readonly deleteOne: Statement;
  private readonly purgeBound: Statement;
  private readonly firstSeqStmt: Statement;

  constructor(readonly store: Store) {
    this.db = store.db;
    // raw: arrays are about twice as fast to build as objects in better-sqlite3
    this.page = this.db.prepare('SELECT seq, event_id, kind, topic, msg_key, payload, bytes, created_at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?').raw(true);
    this.deleteUpTo = this.db.prepare('DELETE FROM outbox WHERE seq <= ?');
    this.sumUpTo = this.db.prepare('SELECT count(*) AS events, coalesce(sum(bytes), 0) AS bytes FROM outbox WHERE seq <= ?');
    this.subtract = this.db.prepare('UPDATE outbox_stats SET events = events - ?, bytes = bytes - ? WHERE id = 1');
    this.deleteMeta = this.db.prepare('DELETE FROM meta WHERE key = ?');
    this.deleteOne = this.db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.firstSeqStmt = this.db.prepare('SELECT min(seq) AS seq FROM outbox');
    this.purgeBound = this.db.prepare('SELECT max(seq) AS upTo FROM (SELECT seq FROM outbox WHERE seq <= ? ORDER BY seq LIMIT ?)');
  }

  /** The next rows in seq order: at most `maxEvents`, and at most `maxBytes` unless one row alone is larger. */
  nextPage(afterSeq: number, maxEvents: number, maxBytes: number): OutboxRecord[] {
    const raw = this.page.all(afterSeq, maxEvents) as Array<[number, string, string, string, string, string, number, number]>;
    const rows: OutboxRecord[] = [];
    let bytes = 0;
    for (const [seq, eventId, kind, topic, key, payload, size, createdAt] of raw) {
      bytes += size;
      if (bytes > maxBytes && rows.length > 0) break;
      rows.push({ seq, eventId, kind, topic, key, payload, bytes: size, createdAt });
    }
    return rows;
  }

  stats(): BacklogStats {
    return backlogStats(this.db);
  }

  /** The lowest seq still stored (delivered or not); 0 when empty. */
  firstSeq(): number {
    return (this.firstSeqStmt.get() as { seq: number | null }).seq ?? 0;
  }

  deliveredSeq(): number {
    return Number(this.store.getMeta(META.delivered) ?? 0);
  }

  inflight(): InFlight | null {
    const raw = this.store.getMeta(META.inflight);
    return raw ? (JSON.parse(raw) as InFlight) : null;
  }

  setInflight(inflight: InFlight): void {
    this.store.transaction(() => this.store.setMeta(META.inflight, JSON.stringify(inflight)));
  }

  clearInflight(): void {
    this.store.transaction(() => this.deleteMeta.run(META.inflight));
  }

  /** Recounts outbox_stats from the rows (at start: heals any drift from deletes outside sync/). */
  recount(): void {
    this.store.transaction(() => this.db.prepare(`UPDATE outbox_stats SET (events, bytes) =
      (SELECT count(*), coalesce(sum(bytes), 0) FROM outbox) WHERE id = 1`).run());
  }

  /** Deletes rows by seq and takes them off outbox_stats (migration 5: no delete trigger). Call inside a transaction. */
  deleteRows(rows: ReadonlyArray<{ seq: number; bytes: number }>): void {
    let events = 0;
    let bytes = 0;
    for (const r of rows) {
      if (this.deleteOne.run(r.seq).changes === 0) continue;
      events++;
      bytes += r.bytes;
    }
    this.subtract.run(events, bytes);
  }

  /** Kafka has committed everything up to `seq`: record the mark and clear the in-flight record, atomically. */
  markDelivered(seq: number): void {
    this.store.transaction(() => {
      if (seq > this.deliveredSeq()) this.store.setMeta(META.delivered, String(seq));
      this.deleteMeta.run(META.inflight);
    });
  }

  /**
   * Deletes up to `maxRows` delivered rows, oldest first, in one transaction; returns how many. Apart from
   * marking delivery: deleting from the random-keyed event_id index costs ~50 µs a row on a large outbox,
   * so the worker does it while a transaction is in flight, or when idle.
   */
  purge(maxRows: number): number {
    return this.store.transaction(() => {
      const { upTo } = this.purgeBound.get(this.deliveredSeq(), maxRows) as { upTo: number | null };
      if (upTo === null) return 0;
      const gone = this.sumUpTo.get(upTo) as { events: number; bytes: number };
      const removed = this.deleteUpTo.run(upTo).changes;
      this.subtract.run(removed, gone.bytes);
      return removed;
    });
  }

  writeStatus(status: object): void {
    this.store.transaction(() => this.store.setMeta(META.status, JSON.stringify(status)));
  }
}
