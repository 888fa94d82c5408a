import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { GatewayError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

/**
 * SQLite's page cache per connection, KiB (a quarter of its own default). It fills up to this as the readings
 * index grows; with 1,000+ sensors every insert touches a different index leaf, so no cache that fits a Pi holds
 * the hot set, and a miss is a read from the OS page cache. 16 MiB cost up to 14 MiB more RSS, 2 MB ~1.5 MiB more
 * than this; CPU at both footprint loads within noise (docs/benchmarks.md).
 */
const PAGE_CACHE_KIB = 512;

/**
 * SQLite truncates the WAL file back to this when it starts the WAL over after a checkpoint. Without it the file
 * stays at its high-water mark (up to the 40 MiB safety net under a burst) for good: on a full disk that space
 * was never returned, and the store stayed full after the disk had room again.
 */
const WAL_SIZE_LIMIT_BYTES = 8 * 1024 * 1024;

/** DESIGN §9: WAL with synchronous=FULL, so a committed reading survives a power cut. */
export function openDatabase(file: string, options: { readonly?: boolean; maxBytes?: number } = {}): SqliteDatabase {
  if (!options.readonly) mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  db.pragma('busy_timeout = 5000');
  if (options.readonly) return db;
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 4000');
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  migrate(db);
  // store.maxSize: SQLite answers SQLITE_FULL past it, as on a full disk (never below the current size)
  if (options.maxBytes) db.pragma(`max_page_count = ${Math.ceil(options.maxBytes / (db.pragma('page_size', { simple: true }) as number))}`);
  return db;
}

export function migrate(db: SqliteDatabase): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new GatewayError('STORE_FAILED', `database schema version ${current} is newer than this gateway (${MIGRATIONS.length}); upgrade the gateway`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    try {
      db.transaction(() => {
        db.exec(MIGRATIONS[version]!);
        db.pragma(`user_version = ${version + 1}`);
      })();
    } catch (err) {
      // rolled back whole: the database is as the previous version left it, and the next start tries again
      throw new GatewayError(classifyStoreError(err).code, `schema migration ${version + 1} of ${MIGRATIONS.length} failed: ${(err as Error).message}; the database is as before`, { cause: err });
    }
  }
  return MIGRATIONS.length;
}

/** SQLite's own words for a full disk or page limit, as a retriable gateway error. */
export function classifyStoreError(err: unknown): GatewayError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'SQLITE_IOERR_FSYNC') return new GatewayError('STORE_FULL', code, { cause: err });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return new GatewayError('STORE_BUSY', code, { cause: err });
  return new GatewayError('STORE_FAILED', (err as Error).message, { cause: err });
}
