import { closeSync, fsyncSync, openSync, statSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Statement } from 'better-sqlite3';
import type { Store } from './store.js';

export interface SpaceOptions {
  /** Room kept for alerts, window results, scores, the outbox and SQLite's own WAL checkpoints. */
  reserveBytes: number;
  /** How long a measurement is reused (statfs and three pragmas are cheap, but not free per message). */
  refreshMs?: number;
}

export type SpaceState = 'ok' | 'full';

const fileSize = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

const RECLAIM_CHUNK_ROWS = 5_000;
const HOLD_AFTER_FULL_MS = 1_000;

/**
 * Disk-full policy (docs/pipeline.md "Disk full").
 *
 * Room for readings = free pages inside the database plus what the file may still grow: the smaller of the
 * filesystem's free space and `store.maxSize` (PRAGMA max_page_count). A file of `reserve` bytes beside the
 * database (`gateway.db.reserve`) holds space on the filesystem that nothing else can take.
 *
 * - Room below the reserve, or a commit failing with SQLITE_FULL: raw readings received before the
 *   window-rebuild horizon are deleted, oldest first (never alerts, window results, scores or the outbox;
 *   readings inside the horizon stay, so windows remain exact).
 * - Still short: state `full`. The reserve file is deleted, so alerts, closing windows, scores, the outbox
 *   and WAL checkpoints have room even when something else filled the disk to the last block; readings are
 *   refused (the pipeline sheds QoS 0, refuses QoS 1 and polled readings, which their senders retry).
 * - Back to `ok` by itself once the room is twice the reserve again: the reserve file is written again first.
 */
export class StoreSpace {
  private readonly dir: string;
  private readonly reserveFile: string;
  private readonly statements: { pageSize: Statement; pageCount: Statement; freelist: Statement; maxPages: Statement };
  private readonly walFile: string;
  private measured = { at: -Infinity, room: Infinity };
  private stateNow: SpaceState = 'ok';
  private reserveHeld = false;
  private reclaimedAt = -Infinity;
  /** After a SQLITE_FULL, no reading is tried before this. */
  private holdUntil = -Infinity;
  /** Readings deleted early, in all. */
  reclaimed = 0;

  constructor(private readonly store: Store, private readonly options: SpaceOptions) {
    this.reserveFile = `${store.db.name}.reserve`;
    this.dir = path.dirname(store.db.name);
    const db = store.db;
    this.statements = {
      pageSize: db.prepare('PRAGMA page_size').pluck(),
      pageCount: db.prepare('PRAGMA page_count').pluck(),
      freelist: db.prepare('PRAGMA freelist_count').pluck(),
      maxPages: db.prepare('PRAGMA max_page_count').pluck(),
    };
    this.walFile = `${store.db.name}-wal`;
    this.holdReserve();
  }

  get state(): SpaceState {
    return this.stateNow;
  }

  get reserveBytes(): number {
    return this.options.reserveBytes;
  }

  get holdsReserve(): boolean {
    return this.reserveHeld;
  }

  /** Bytes the database can still take without the reserve file; cached for `refreshMs` unless `fresh`. */
  room(nowMs = Date.now(), fresh = false): number {
    if (!fresh && nowMs - this.measured.at < (this.options.refreshMs ?? 250)) return this.measured.room;
    const pageSize = this.statements.pageSize.get() as number;
    const pages = this.statements.pageCount.get() as number;
    const free = this.statements.freelist.get() as number;
    const max = this.statements.maxPages.get() as number;
    let fsFree = Infinity;
    try {
      const fs = statfsSync(this.dir);
      fsFree = Number(fs.bavail) * Number(fs.bsize);
    } catch {
      /* no statfs: the page limit and SQLITE_FULL still apply */
    }
    const room = free * pageSize + Math.max(0, Math.min(fsFree, (max - pages) * pageSize));
    this.measured = { at: nowMs, room };
    return room;
  }

  /** May readings be written now? Reclaims old raw readings (at most once a second) before saying no. */
  check(nowMs: number, keepReceivedFromMs: number): SpaceState {
    if (nowMs < this.holdUntil) return this.stateNow;
    const need = this.stateNow === 'ok' ? this.options.reserveBytes : 2 * this.options.reserveBytes;
    if (this.room(nowMs) >= need) return this.resume();
    if (nowMs - this.reclaimedAt >= 1_000) {
      this.reclaimedAt = nowMs;
      if (this.truncateWal() && this.room(nowMs, true) >= need) return this.resume();
      if (this.reclaim(keepReceivedFromMs, nowMs) > 0 && this.room(nowMs, true) >= need) return this.resume();
    }
    return this.enterFull();
  }

  /** A commit failed with SQLITE_FULL: full at once (reserve released), checkpoint, reclaim; readings wait a second. */
  onFull(nowMs: number, keepReceivedFromMs: number): SpaceState {
    this.enterFull();
    this.truncateWal();
    this.reclaimedAt = nowMs;
    this.reclaim(keepReceivedFromMs, nowMs);
    this.holdUntil = nowMs + HOLD_AFTER_FULL_MS;
    return this.stateNow;
  }

  /**
   * Deletes raw readings received before `keepReceivedFromMs`, oldest first, until the room is twice the
   * reserve (so the next episode is not the next commit). A delete that itself fails for lack of room stops it.
   */
  reclaim(keepReceivedFromMs: number, nowMs = Date.now()): number {
    const limit = this.store.firstReadingIdReceivedSince(keepReceivedFromMs) - 1;
    let deleted = 0;
    let { min } = this.store.readingIdRange();
    while (min > 0 && min <= limit && this.room(nowMs, true) < 2 * this.options.reserveBytes) {
      const upTo = Math.min(limit, min + RECLAIM_CHUNK_ROWS - 1);
      try {
        deleted += this.store.transaction(() => this.store.deleteReadingsUpTo(upTo));
      } catch {
        break;
      }
      min = upTo + 1;
    }
    this.reclaimed += deleted;
    return deleted;
  }

  /**
   * The WAL file keeps its high-water mark until SQLite starts it over, which a writer does only after a checkpoint
   * has caught up with it. Short of room (or after SQLITE_FULL), checkpoint it all and cut it to nothing: with
   * ingest held, nothing writes meanwhile. Never waits for a reader (busy_timeout 0 for this statement); a reader
   * in the way leaves what it still needs, as a passive checkpoint would. True when the file shrank.
   */
  private truncateWal(): boolean {
    const before = fileSize(this.walFile);
    if (before === 0) return false;
    const db = this.store.db;
    const timeout = db.pragma('busy_timeout', { simple: true }) as number;
    try {
      db.pragma('busy_timeout = 0');
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      /* busy or still no room: the next check tries again */
    } finally {
      db.pragma(`busy_timeout = ${timeout}`);
    }
    return fileSize(this.walFile) < before;
  }

  private resume(): SpaceState {
    if (!this.reserveHeld && !this.holdReserve()) return this.enterFull();
    return (this.stateNow = 'ok');
  }

  private enterFull(): SpaceState {
    this.releaseReserve();
    return (this.stateNow = 'full');
  }

  /** Writes the reserve file (real blocks, not a sparse file); false when the filesystem has no room for it. */
  private holdReserve(): boolean {
    if (this.options.reserveBytes <= 0) return (this.reserveHeld = true);
    try {
      if (statSync(this.reserveFile).size >= this.options.reserveBytes) return (this.reserveHeld = true);
    } catch {
      /* not there yet */
    }
    let fd: number | null = null;
    try {
      fd = openSync(this.reserveFile, 'w', 0o600);
      const chunk = Buffer.alloc(Math.min(1 << 20, this.options.reserveBytes));
      for (let written = 0; written < this.options.reserveBytes; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, this.options.reserveBytes - written));
      fsyncSync(fd);
      this.reserveHeld = true;
    } catch {
      this.reserveHeld = false;
    } finally {
      if (fd !== null) closeSync(fd);
      if (!this.reserveHeld) this.releaseReserve(true);
      this.measured.at = -Infinity;
    }
    return this.reserveHeld;
  }

  private releaseReserve(force = false): void {
    if (!this.reserveHeld && !force) return;
    try {
      unlinkSync(this.reserveFile);
    } catch {
      /* gone already */
    }
    this.reserveHeld = false;
    this.measured.at = -Infinity;
  }
}
