import type { SqliteDatabase } from './database.js';

/** Read queries for the LAN dashboard and its JSON API (gateway/http). */

/** The score of the window before `windowEnd` for a cell and context (for the trend). */
export function previousScore(db: SqliteDatabase, h3Index: string, context: string, windowEnd: number): number | null {
  const row = db.prepare(`SELECT score FROM scores WHERE h3_index = ? AND context = ? AND window_end < ?
    ORDER BY window_end DESC LIMIT 1`).get(h3Index, context, windowEnd) as { score: number } | undefined;
  return row?.score ?? null;
}

export interface RecentReading {
  sensorId: string;
  metric: string;
  value: number;
  unit: string;
  ts: number;
  quality: string;
}

/** The last `maxRows` readings stored, in arrival order (seeds the latest value per sensor and metric). */
export function recentReadings(db: SqliteDatabase, maxRows: number): RecentReading[] {
  return db.prepare(`SELECT sensor_id AS sensorId, metric, value, unit, ts, quality FROM readings
    WHERE id > (SELECT coalesce(max(id), 0) FROM readings) - ? ORDER BY id`).all(maxRows) as RecentReading[];
}

/** What the outbox holds (delivered rows are deleted), from the O(1) counters of migration 3. */
export function outboxBacklog(db: SqliteDatabase): { events: number; bytes: number; oldestCreatedAt: number | null } {
  const counts = db.prepare('SELECT events, bytes FROM outbox_stats WHERE id = 1').get() as { events: number; bytes: number } | undefined;
  const oldest = db.prepare('SELECT created_at AS at FROM outbox ORDER BY seq LIMIT 1').get() as { at: number } | undefined;
  return { events: counts?.events ?? 0, bytes: counts?.bytes ?? 0, oldestCreatedAt: oldest?.at ?? null };
}
