import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../reading.js';
import { migrate } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { INDEXED_BELOW_KEY } from './reading-index.js';
import { applyRetention } from './retention.js';
import { Store } from './store.js';

const stores: Store[] = [];
const dirs: string[] = [];
const dbFile = () => {
  dirs.push(mkdtempSync(path.join(tmpdir(), 'ucid-reading-index-')));
  return path.join(dirs.at(-1)!, 'gateway.db');
};
const open = (file = dbFile()) => {
  const store = new Store(file);
  stores.push(store);
  return store;
};
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

const reading = (sensorId: string, ts: number, value = ts % 97): Reading => ({
  sensorId, metric: 'pm25', value, unit: 'ugm3', ts, quality: 'good', source: 'test', receivedAt: 1_000_000 + ts,
});

/** The four queries, answered by scanning `readings` itself (what the index must agree with). */
function oracle(db: Database.Database, sensorId: string, cutTs: number) {
  const ids = (sql: string, ...args: unknown[]) => (db.prepare(sql).pluck().all(sensorId, 'pm25', ...args) as number[]);
  const key = 'FROM readings NOT INDEXED WHERE sensor_id = ? AND metric = ?';
  return {
    latestBeforeTs: db.prepare(`SELECT max(ts) ${key} AND ts < ?`).pluck().get(sensorId, 'pm25', cutTs) ?? undefined,
    newestTs: db.prepare(`SELECT max(ts) ${key}`).pluck().get(sensorId, 'pm25'),
    between: ids(`SELECT id ${key} AND ts >= ? AND ts < ? AND id < ? ORDER BY id`, cutTs - 50, cutTs + 50, 1e9),
    historyTs: (db.prepare(`SELECT ts ${key} AND ts >= ? ORDER BY ts DESC LIMIT 5`).pluck().all(sensorId, 'pm25', cutTs) as number[]).reverse(),
  };
}
function answers(store: Store, sensorId: string, cutTs: number) {
  return {
    latestBeforeTs: store.latestReadingBefore(sensorId, 'pm25', cutTs)?.ts,
    newestTs: store.newestReadingTs(sensorId, 'pm25'),
    between: store.keyReadingsBefore(sensorId, 'pm25', cutTs - 50, cutTs + 50, 1e9).map((r) => r.id),
    historyTs: store.readingHistory(sensorId, 'pm25', cutTs, 5).map((r) => r.ts),
  };
}
const indexRows = (store: Store) => store.db.prepare('SELECT sensor_id, metric, ts, id FROM reading_index ORDER BY id').raw().all();
const readingRows = (store: Store) => store.db.prepare('SELECT sensor_id, metric, ts, id FROM readings ORDER BY id').raw().all();

/** A database at schema version 6 (the SQL index) holding `n` readings. */
function version6(n: number): string {
  const file = dbFile();
  const old = new Database(file);
  old.pragma('journal_mode = WAL');
  for (const [version, sql] of MIGRATIONS.slice(0, -1).entries()) {
    old.exec(sql);
    old.pragma(`user_version = ${version + 1}`);
  }
  const insert = old.prepare(`INSERT INTO readings (sensor_id, metric, value, unit, ts, ts_from_arrival, quality, source, received_at, lateness)
    VALUES (?, 'pm25', 1, 'ugm3', ?, 0, 'good', 't', 0, 'on_time')`);
  old.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(`s${i % 9}`, (i * 37) % n);
  })();
  old.close();
  return file;
}

describe('the readings index (reading_index, written a key at a time)', () => {
  it('keeps a key\'s entries waiting until it has a page\'s worth, then writes them in one commit', () => {
    const store = open();
    store.transaction(() => {
      for (let i = 0; i < 63; i++) store.insertReading(reading('a', i), 'on_time');
      for (let i = 0; i < 10; i++) store.insertReading(reading('b', i), 'on_time');
    });
    expect(indexRows(store)).toEqual([]);
    expect(store.newestReadingTs('a', 'pm25')).toBe(62);
    store.transaction(() => store.insertReading(reading('a', 63), 'on_time'));
    expect(indexRows(store).map((r) => (r as unknown[])[0])).toEqual(Array(64).fill('a'));
    expect(store.readingHistory('b', 'pm25', 5, 100).map((r) => r.ts)).toEqual([5, 6, 7, 8, 9]);
  });

  it('answers every query as a scan of the readings would, through commits, rollbacks, retention and reopening', () => {
    const op = fc.oneof(
      fc.record({ insert: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 90 }) }),
      fc.record({ rollback: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 20 }) }),
      fc.record({ retain: fc.integer({ min: 0, max: 100 }) }),
      fc.constant({ reopen: true }),
    );
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 400 }), (ops, cutTs) => {
      const file = dbFile();
      let store = open(file);
      for (const o of ops) {
        if ('insert' in o) store.transaction(() => o.insert.forEach(([s, ts]) => store.insertReading(reading(`s${s}`, ts), 'on_time')));
        if ('rollback' in o) {
          expect(() => store.transaction(() => {
            o.rollback.forEach(([s, ts]) => store.insertReading(reading(`s${s}`, ts), 'on_time'));
            throw new Error('rolled back');
          })).toThrow('rolled back');
        }
        if ('retain' in o) {
          const { min, max } = store.readingIdRange();
          if (max) store.transaction(() => store.deleteReadingsUpTo(min + Math.floor(((max - min) * o.retain) / 100)));
        }
        if ('reopen' in o) {
          store.close();
          store = open(file);
        }
        for (let s = 0; s < 5; s++) expect(answers(store, `s${s}`, cutTs)).toEqual(oracle(store.db, `s${s}`, cutTs));
      }
      store.close();
      const reopened = open(file);
      expect(reopened.unindexedAtOpen).toBe(0);
      expect(indexRows(reopened)).toEqual(readingRows(reopened));
    }), { numRuns: 40 });
  });

  it('keeps the entries of a commit that failed while writing them, and writes them with a later one', () => {
    const file = dbFile();
    const store = open(file);
    store.transaction(() => {
      for (let i = 0; i < 63; i++) store.insertReading(reading('a', i), 'on_time');
      for (let i = 0; i < 63; i++) store.insertReading(reading('b', i), 'on_time');
    });
    // the commit's readings go in and 'a's entries are written; 'b's fail, so the whole commit rolls back
    store.db.exec("CREATE TEMP TRIGGER index_full BEFORE INSERT ON main.reading_index WHEN NEW.sensor_id = 'b' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    expect(() => store.transaction(() => {
      store.insertReading(reading('a', 63), 'on_time');
      store.insertReading(reading('b', 63), 'on_time');
    })).toThrow(/full/);
    expect(indexRows(store)).toEqual([]);
    store.db.exec('DROP TRIGGER index_full');
    store.transaction(() => store.insertReading(reading('c', 0), 'on_time'));
    const indexed = indexRows(store) as Array<[string, string, number, number]>;
    expect(indexed.filter(([sensor]) => sensor === 'a')).toHaveLength(63);
    expect(indexed.filter(([sensor]) => sensor === 'b')).toHaveLength(63);
    expect(store.readingHistory('a', 'pm25', 0, 100)).toHaveLength(63);
    store.close();
    const reopened = open(file);
    expect(indexRows(reopened)).toEqual(readingRows(reopened));
  });

  it('deletes the entries of readings that retention deletes', () => {
    const file = dbFile();
    const store = open(file);
    const now = 10_000_000;
    store.transaction(() => {
      for (let i = 0; i < 3_000; i++) store.insertReading({ ...reading(`s${i % 3}`, i), receivedAt: now - 3_000 + i }, 'on_time');
    });
    expect(indexRows(store).length).toBeGreaterThan(2_800);
    expect(applyRetention(store, { rawRetentionMs: 1_000, rawBudgetBytes: 1e12 }, now)).toBe(2_000);
    expect(indexRows(store).filter((r) => (r as number[])[3]! <= 2_000)).toEqual([]);
    store.close();
    const reopened = open(file);
    expect(indexRows(reopened)).toEqual(readingRows(reopened));
  });

  it('migrates a database with the old SQL index: every reading indexed, the index dropped, the bound past the newest', () => {
    const store = open(version6(500));
    expect(indexRows(store)).toEqual(readingRows(store));
    expect(store.db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'readings_by_key_ts'").pluck().get()).toBe(0);
    expect(store.getMeta(INDEXED_BELOW_KEY)).toBe('501');
    expect(store.unindexedAtOpen).toBe(0);
  });

  it('a migration that runs out of room fails whole, names itself, and leaves the old schema to start from', () => {
    const file = version6(20_000);
    const db = new Database(file);
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    expect(() => migrate(db)).toThrow(/storage is full: schema migration 7 of 7 failed: database or disk is full; the database is as before/);
    expect(db.pragma('user_version', { simple: true })).toBe(6);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('readings_by_key_ts', 'reading_index')").pluck().get()).toBe(1);
    db.close();
    const store = open(file);
    expect(indexRows(store)).toEqual(readingRows(store));
  });
});
