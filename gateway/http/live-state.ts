import type { AlertEvent } from '../bus.js';
import type { ScoreUpdate } from '../pipeline/score-stage.js';
import type { Reading } from '../reading.js';
import { previousScore, recentReadings, type RecentReading } from '../store/dashboard-queries.js';
import type { ScoreRow, Store } from '../store/store.js';
import type { AlertSource } from './status.js';

const MAX_READING_KEYS = 10_000;
const ALERT_HISTORY = 200;
const SEED_READING_ROWS = 20_000;

/**
 * The latest reading of one sensor and metric, updated in place (a new object per reading lived ~1 s, long
 * enough to be promoted, and filled the old generation), with the hub's throttle state beside it.
 */
export interface SeriesEntry extends RecentReading {
  /** `r|sensor|metric`: what a slow client's queue coalesces on */
  readonly key: string;
  /** Order of the last update, for `latestReadings` */
  seq: number;
  /** When the hub last sent it to clients (its throttle) */
  emittedAt: number;
}

interface ScoreEntry {
  row: ScoreRow;
  previous: number | null;
}

/**
 * What a client gets on connect, kept in memory so a connect costs no scan of the scores table: the latest
 * score per cell and context (with the one before, for the trend), the latest reading per sensor and
 * metric, and, until the alert module provides its own source, the alerts seen on the bus.
 */
export class LiveState {
  private readonly scores = new Map<string, ScoreEntry>();
  private readonly readings = new Map<string, SeriesEntry>();
  private seq = 0;
  private readonly activeAlerts = new Map<string, AlertEvent>();
  private readonly alertHistory: AlertEvent[] = [];

  constructor(private readonly store: Store, private readonly cityOf: (sensorId: string) => string) {
    for (const row of store.latestScores()) {
      this.scores.set(scoreKey(row), { row, previous: previousScore(store.db, row.h3Index, row.context, row.windowEnd) });
    }
    for (const r of recentReadings(store.db, SEED_READING_ROWS)) this.noteReading(r);
  }

  /** Returns the previous score for the trend; older-window revisions leave the latest in place. */
  noteScore(u: ScoreUpdate): number | null {
    const key = scoreKey(u);
    const entry = this.scores.get(key);
    if (!entry || u.windowEnd > entry.row.windowEnd) {
      const previous = entry ? entry.row.score : previousScore(this.store.db, u.h3Index, u.context, u.windowEnd);
      this.scores.set(key, { row: u, previous });
      return previous;
    }
    if (u.windowEnd === entry.row.windowEnd) {
      entry.row = u;
      return entry.previous;
    }
    return previousScore(this.store.db, u.h3Index, u.context, u.windowEnd);
  }

  /** The series of `r`, holding `r` unless it already holds a newer reading. */
  noteReading(r: RecentReading | Reading): SeriesEntry {
    const id = `${r.sensorId}|${r.metric}`;
    let e = this.readings.get(id);
    if (!e) {
      if (this.readings.size >= MAX_READING_KEYS) this.readings.delete(this.readings.keys().next().value!);
      e = { key: `r|${id}`, sensorId: r.sensorId, metric: r.metric, value: r.value, unit: r.unit, ts: r.ts, quality: r.quality, seq: 0, emittedAt: -Infinity };
      this.readings.set(id, e);
    } else if (e.ts > r.ts) {
      return e;
    }
    e.value = r.value;
    e.unit = r.unit;
    e.ts = r.ts;
    e.quality = r.quality;
    e.seq = ++this.seq;
    return e;
  }

  noteAlert(e: AlertEvent): void {
    const current = this.activeAlerts.get(e.key);
    const newer = !current || current.eventId === e.eventId || current.at <= e.at;
    if (newer && e.state === 'cleared') this.activeAlerts.delete(e.key);
    else if (newer) this.activeAlerts.set(e.key, e);
    const same = this.alertHistory.findIndex((h) => h.eventId === e.eventId);
    if (same >= 0) this.alertHistory.splice(same, 1);
    this.alertHistory.unshift(e);
    if (this.alertHistory.length > ALERT_HISTORY) this.alertHistory.pop();
  }

  latestScores(city: string, context: string | null): ScoreEntry[] {
    return [...this.scores.values()].filter((s) => s.row.city === city && (context === null || s.row.context === context));
  }

  /** Least recently updated first. */
  latestReadings(city: string): SeriesEntry[] {
    return [...this.readings.values()].filter((r) => this.cityOf(r.sensorId) === city).sort((a, b) => a.seq - b.seq);
  }

  /** The alert module's view when it has registered one, else what this process saw on the bus. */
  alerts(source: AlertSource | null, city: string | undefined, historyLimit: number): { active: AlertEvent[]; history: AlertEvent[] } {
    if (source) return { active: source.active(city), history: source.history(historyLimit, city) };
    const inCity = (e: AlertEvent) => city === undefined || e.city === city;
    return {
      active: [...this.activeAlerts.values()].filter(inCity).sort((a, b) => b.at - a.at),
      history: this.alertHistory.filter(inCity).slice(0, historyLimit),
    };
  }
}

function scoreKey(s: { city: string; h3Index: string; context: string }): string {
  return `${s.city}|${s.h3Index}|${s.context}`;
}
