import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../reading.js';
import { migrate } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { READING_ROW_BYTES, RESULT_ROWS_PER_RUN, ResultRetention, WINDOW_KEYS_PER_RUN, applyRetention } from './retention.js';
import { Store, type ScoreRow, type WindowRow } from './store.js';

const HOUR = 3_600_000;
const stores: Store[] = [];
const open = () => {
  const store = new Store(path.join(mkdtempSync(path.join(tmpdir(), 'ucid-store-')), 'gateway.db'));
  stores.push(store);
  return store;
};
const reading = (i: number, receivedAt: number): Reading => ({
  sensorId: `s${i % 7}`, metric: 'pm25', value: i, unit: 'ugm3', ts: receivedAt, quality: 'good', source: 'test', receivedAt,
});

afterEach(() => stores.splice(0).forEach((s) => s.close()));

describe('SQLite store', () => {
  it('opens in WAL mode with synchronous=FULL and runs every migration once', () => {
    const store = open();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(migrate(store.db)).toBe(MIGRATIONS.length);
  });

  it('refuses a database written by a newer gateway', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ucid-store-')), 'gateway.db');
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer than this gateway/);
    db.close();
  });

  it('finds the first reading received since a time by binary search on ids', () => {
    const store = open();
    store.transaction(() => {
      for (let i = 0; i < 1000; i++) store.insertReading(reading(i, 1_000_000 + i * 1000), 'on_time');
    });
    expect(store.firstReadingIdReceivedSince(0)).toBe(1);
    expect(store.firstReadingIdReceivedSince(1_000_000 + 500_500)).toBe(502);
    expect(store.firstReadingIdReceivedSince(9e12)).toBe(1001);
    expect(store.readingsPage(998, 10).map((r) => r.value)).toEqual([997, 998, 999]);
  });

  it('deletes raw readings past the retention age, then past the byte budget, oldest first', () => {
    const store = open();
    const now = 100 * HOUR;
    store.transaction(() => {
      for (let i = 0; i < 2000; i++) store.insertReading(reading(i, now - 10 * HOUR + i * 18_000), 'on_time');
    });
    const byAge = applyRetention(store, { rawRetentionMs: 5 * HOUR, rawBudgetBytes: 1e12 }, now);
    expect(byAge).toBe(1000);
    expect(store.readingIdRange()).toEqual({ min: 1001, max: 2000 });
    const byBudget = applyRetention(store, { rawRetentionMs: 5 * HOUR, rawBudgetBytes: 500 * READING_ROW_BYTES }, now);
    expect(byBudget).toBe(550);
    expect(store.readingIdRange()).toEqual({ min: 1551, max: 2000 });
  });

  it('deletes window results and scores whose window ended before the retention, in bounded runs that resume where the last stopped', () => {
    const store = open();
    const now = Date.UTC(2026, 10, 28);
    const DAY = 24 * HOUR;
    const windowAt = (i: number, sensorId: string, startMs: number, endMs: number, kind: 'tumbling' | 'session' = i % 3 ? 'tumbling' : 'session'): WindowRow => ({
      kind, sensorId, metric: 'pm25', startMs, endMs, revision: 0, count: 1, mean: 1, min: 1, max: 1, last: 1, stddev: 0, uncertainCount: 0, badCount: 0,
      firstTs: startMs, lastTs: endMs - 1 });
    const scoreAt = (i: number, windowEnd: number): ScoreRow => ({ h3Index: `cell${i % 40}`, context: 'CLIMATE', windowEnd, windowStart: windowEnd - 300_000, city: 'IST',
      revision: 0, score: 1, grade: 'A', confidence: 1, flags: '', ucid: `u${i}`, eventId: `e${i}`, computedAt: windowEnd });
    const old = RESULT_ROWS_PER_RUN + 2_500; // more than a run deletes
    store.transaction(() => {
      for (let i = 0; i < old; i++) store.upsertWindow(windowAt(i, `s${i % 50}`, now - 40 * DAY + i * 1000, now - 40 * DAY + i * 1000 + 300_000));
      for (let i = 0; i < 1_000; i++) store.upsertWindow(windowAt(i, `s${i % 50}`, now - 29 * DAY + i * 1000, now - 29 * DAY + i * 1000 + 300_000));
      store.upsertWindow(windowAt(0, 's7', now - 31 * DAY, now - 29 * DAY, 'session')); // started before the cut, ended after it: kept
      for (let i = 0; i < 3_000; i++) store.upsertScore(scoreAt(i, now - 31 * DAY + i * 300_000)); // the first 288 ended over 30 days ago
    });
    const count = (table: string) => (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const retention = new ResultRetention(store, 30 * DAY);

    expect(retention.run(now)).toEqual({ windows: RESULT_ROWS_PER_RUN, scores: 288 });
    expect(retention.run(now)).toEqual({ windows: 2_500, scores: 0 });
    expect(retention.run(now)).toEqual({ windows: 0, scores: 0 });
    expect(count('window_results')).toBe(1_001);
    expect(count('scores')).toBe(3_000 - 288);
    const oldest = (sql: string) => (store.db.prepare(sql).get() as { t: number }).t;
    expect(oldest('SELECT min(end_ms) AS t FROM window_results')).toBe(now - 29 * DAY);
    expect(oldest('SELECT min(window_end) AS t FROM scores')).toBeGreaterThanOrEqual(now - 30 * DAY);

    // more keys than a run visits (these sort first): the next run goes on from the last key, then starts over
    store.transaction(() => {
      for (let i = 0; i < WINDOW_KEYS_PER_RUN + 500; i++) store.upsertWindow(windowAt(i, `k${String(i).padStart(5, '0')}`, now - 40 * DAY, now - 40 * DAY + 300_000, 'session'));
    });
    expect(retention.run(now).windows).toBe(WINDOW_KEYS_PER_RUN);
    expect(retention.run(now).windows).toBe(500);
    expect(count('window_results')).toBe(1_001);

    // each step is a search of the primary key, not a scan of every result the retention keeps
    const plan = (sql: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan("SELECT kind FROM window_results WHERE (kind, sensor_id) > ('a', 'b') ORDER BY kind, sensor_id LIMIT 1")).toMatch(/^SEARCH window_results USING PRIMARY KEY/);
    expect(plan("SELECT metric FROM window_results WHERE kind = 'tumbling' AND sensor_id = 's1' AND start_ms < 5 AND end_ms < 5")).toMatch(/^SEARCH window_results USING PRIMARY KEY \(kind=\? AND sensor_id=\? AND start_ms<\?\)/);
    expect(plan('SELECT h3_index FROM scores WHERE window_end < 1 ORDER BY window_end LIMIT 10')).toMatch(/INDEX scores_by_window \(window_end<\?\)/);
  });

  it('keeps the quarantine bounded to its newest rows', () => {
    const store = open();
    store.transaction(() => {
      for (let i = 0; i < 30; i++) store.insertQuarantine({ source: 'mqtt', reason: `bad ${i}`, origin: 't', payload: 'x' }, i);
      store.trimQuarantine(10);
    });
    const rows = store.db.prepare('SELECT reason FROM quarantine ORDER BY id').all() as Array<{ reason: string }>;
    expect(rows.map((r) => r.reason)).toEqual(Array.from({ length: 10 }, (_, i) => `bad ${i + 20}`));
  });

  it('takes an outbox event once: a replay with the same event id is ignored', () => {
    const store = open();
    const row = { eventId: 'e1', kind: 'ScoreUpdate', topic: 'ucid.processed.scores', key: 'IST:x:CLIMATE', payload: '{}', createdAt: 1, windowEnd: 2, compactionKey: 'k' };
    expect(store.insertOutbox(row)).toBe(true);
    expect(store.insertOutbox(row)).toBe(false);
    expect(store.db.prepare('SELECT count(*) AS n FROM outbox').get()).toEqual({ n: 1 });
  });

  it('finds the latest score of every cell and context, filtered and ordered as the SQL it replaced', () => {
    const store = open();
    const cells = ['891f2ed6df7ffff', '891f2ed6dc3ffff', '891f2ed6d8bffff'];
    let n = 0;
    for (const [c, h3Index] of cells.entries()) {
      for (const context of ['TRANSIT', 'CLIMATE', 'NOISE']) {
        if (c === 2 && context === 'NOISE') continue;
        for (let w = 0; w < 5 + c; w++) {
          const windowEnd = (w * 7 + c * 3 + context.length) * 300_000;
          store.upsertScore({ h3Index, context, windowEnd, windowStart: windowEnd - 300_000, city: c === 1 ? 'ANK' : 'IST', revision: 0, score: n++,
            grade: 'C', confidence: 0.5, flags: '', ucid: `u${n}`, eventId: `e${n}`, computedAt: 0 });
        }
      }
    }
    const oracle = store.db.prepare(`SELECT h3_index AS h3Index, context, window_end AS windowEnd, window_start AS windowStart, city, revision, score,
      grade, confidence, flags, ucid, event_id AS eventId, computed_at AS computedAt FROM scores s WHERE window_end = (SELECT max(window_end) FROM scores
      WHERE h3_index = s.h3_index AND context = s.context) AND (@city IS NULL OR city = @city) AND (@context IS NULL OR context = @context)
      ORDER BY city, context, h3_index`);
    for (const filter of [{}, { city: 'IST' }, { context: 'NOISE' }, { city: 'ANK', context: 'CLIMATE' }, { city: 'XXX' }]) {
      const expected = oracle.all({ city: null, context: null, ...filter });
      expect(store.latestScores(filter)).toEqual(expected);
    }
    expect(store.latestScores()).toHaveLength(8);
  });
});
