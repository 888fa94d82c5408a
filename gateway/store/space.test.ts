import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreSpace } from './space.js';
import { Store } from './store.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  stores.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const HOUR = 3_600_000;

/** A store of `n` readings received `ageMs` ago or later, capped at its current size plus `headroom` bytes. */
function capped(n: number, headroom: number) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-space-'));
  dirs.push(dir);
  const file = path.join(dir, 'gateway.db');
  const seed = new Store(file);
  const now = Date.now();
  seed.transaction(() => {
    for (let i = 0; i < n; i++) {
      const at = now - 3 * HOUR + Math.floor((i / n) * 3 * HOUR);
      seed.insertReading({ sensorId: 's', metric: 'pm25', value: i, unit: 'ugm3', ts: at, quality: 'good', source: 't', receivedAt: at }, 'on_time');
    }
  });
  seed.close();
  const store = new Store(file, { maxBytes: statSync(file).size + headroom });
  stores.push(store);
  return { store, file, now };
}

describe('disk-full policy (StoreSpace)', () => {
  it('holds a reserve file beside the database and measures room against store.maxSize', () => {
    const { store, file } = capped(10, 256 * 1024);
    const space = new StoreSpace(store, { reserveBytes: 64 * 1024 });
    expect(statSync(`${file}.reserve`).size).toBe(64 * 1024);
    expect(space.room()).toBeGreaterThanOrEqual(200 * 1024);
    expect(space.room()).toBeLessThanOrEqual(300 * 1024);
    expect(space.check(Date.now(), Date.now() - HOUR)).toBe('ok');
  });

  it('below the reserve: reclaims only readings received before the rebuild horizon, oldest first, then says full and releases the reserve file', () => {
    const { store, file, now } = capped(20_000, 0);
    const space = new StoreSpace(store, { reserveBytes: 256 * 1024 });
    const horizon = now - HOUR;
    const recent = (store.db.prepare('SELECT count(*) AS n FROM readings WHERE received_at >= ?').get(horizon) as { n: number }).n;
    // 256 KiB twice over is ~5,000 rows of the ~13,000 old enough to go: the reclaim stops there
    expect(space.check(now, horizon)).toBe('ok');
    expect(space.reclaimed).toBeGreaterThan(1_000);
    const left = store.db.prepare('SELECT min(received_at) AS oldest, count(*) AS n FROM readings').get() as { oldest: number; n: number };
    expect(left.n).toBe(20_000 - space.reclaimed);
    expect(left.oldest).toBeLessThan(horizon);
    // a reserve larger than everything that may go: all old readings go, recent ones stay, and it is full
    const greedy = new StoreSpace(store, { reserveBytes: 64 << 20 });
    expect(greedy.check(now + 2_000, horizon)).toBe('full');
    expect((store.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n).toBe(recent);
    expect(existsSync(`${file}.reserve`)).toBe(false);
  });

  it('short of room, checkpoints the WAL and cuts the file to nothing (its high-water mark is disk space too)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-space-wal-'));
    dirs.push(dir);
    const file = path.join(dir, 'gateway.db');
    const writer = new Store(file);
    stores.push(writer);
    // a reader's open snapshot keeps any checkpoint from starting the WAL over, so it grows with every write
    const reader = new Database(file, { readonly: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM readings').get();
    const now = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      writer.transaction(() => {
        for (let i = 0; i < 2_000; i++) {
          writer.insertReading({ sensorId: `s${i % 500}`, metric: 'pm25', value: i, unit: 'ugm3', ts: now + batch * 2_000 + i, tsFromArrival: false, quality: 'good', source: 't', receivedAt: now }, 'on_time');
        }
      });
    }
    const store = new Store(file, { maxBytes: 1 }); // no room beyond the current size
    stores.push(store);
    reader.prepare('COMMIT').run();
    reader.close();
    const walBefore = statSync(`${file}-wal`).size;
    expect(walBefore).toBeGreaterThan(1 << 20);

    const space = new StoreSpace(store, { reserveBytes: 64 * 1024 });
    expect(space.check(now, now - HOUR)).toBe('full');
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect((store.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n).toBe(20_000);
  });
});
