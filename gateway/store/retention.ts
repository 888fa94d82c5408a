import type { Store, WindowKey } from './store.js';

/** Estimated bytes of one stored reading: ~70 B row plus ~40 B in the (sensor, metric, ts) index. */
export const READING_ROW_BYTES = 110;
const DELETE_CHUNK_ROWS = 10_000;

export interface RetentionPolicy {
  rawRetentionMs: number;
  rawBudgetBytes: number;
}

/** Raw readings are bounded by age and by a byte budget; oldest go first, in small transactions. */
export function applyRetention(store: Store, policy: RetentionPolicy, nowMs: number): number {
  const { min, max } = store.readingIdRange();
  if (max === 0) return 0;
  const byAge = store.firstReadingIdReceivedSince(nowMs - policy.rawRetentionMs) - 1;
  const budgetRows = Math.floor(policy.rawBudgetBytes / READING_ROW_BYTES);
  const rows = max - min + 1;
  const byBudget = rows > budgetRows ? max - Math.floor(budgetRows * 0.9) : 0;
  const upTo = Math.max(byAge, byBudget);
  let deleted = 0;
  for (let from = min; from <= upTo; from += DELETE_CHUNK_ROWS) {
    deleted += store.transaction(() => store.deleteReadingsUpTo(Math.min(upTo, from + DELETE_CHUNK_ROWS - 1)));
  }
  return deleted;
}

/**
 * Rows a table a run at most (a run a minute): ~60 ms of deleting on x86 for both tables, so a first run over months
 * of results does not hold the event loop; 14 million rows a day a table, against ~300,000 a day made at 1,000 sensors.
 */
export const RESULT_ROWS_PER_RUN = DELETE_CHUNK_ROWS;
/** Window keys (kind, sensor) a run visits at most; the next run resumes after the last. */
export const WINDOW_KEYS_PER_RUN = 1_000;
const WINDOW_KEYS_PER_TRANSACTION = 250;

/**
 * Window results and scores whose window ended more than `retentionMs` ago (store.resultRetention): the central
 * Kafka keeps the history (DESIGN §1), the gateway what revisions and scoring still read. Scores go by their
 * window-end index. Window results are found a key at a time through the primary key (kind, sensor, start):
 * an index on the end would cost a write per window, and a migration building it over months of rows could
 * outlast the unit's start timeout.
 */
export class ResultRetention {
  private cursor: WindowKey | null = null;

  constructor(private readonly store: Store, private readonly retentionMs: number) {}

  run(nowMs: number): { windows: number; scores: number } {
    const endedBefore = nowMs - this.retentionMs;
    return { windows: this.deleteWindows(endedBefore), scores: this.deleteScores(endedBefore) };
  }

  private deleteScores(endedBefore: number): number {
    return this.store.transaction(() => this.store.deleteScoresEndedBefore(endedBefore, RESULT_ROWS_PER_RUN));
  }

  private deleteWindows(endedBefore: number): number {
    let deleted = 0;
    for (let keys = 0; keys < WINDOW_KEYS_PER_RUN && deleted < RESULT_ROWS_PER_RUN;) {
      const chunk = this.store.transaction(() => this.windowChunk(endedBefore));
      deleted += chunk.rows;
      keys += chunk.keys;
      if (chunk.wrapped) break;
    }
    return deleted;
  }

  private windowChunk(endedBefore: number): { rows: number; keys: number; wrapped: boolean } {
    let rows = 0;
    let keys = 0;
    while (rows < DELETE_CHUNK_ROWS && keys < WINDOW_KEYS_PER_TRANSACTION) {
      const key = this.store.nextWindowKey(this.cursor);
      if (!key) {
        this.cursor = null;
        return { rows, keys, wrapped: true };
      }
      rows += this.store.deleteWindowsEndedBefore(key, endedBefore, DELETE_CHUNK_ROWS - rows);
      keys++;
      if (rows < DELETE_CHUNK_ROWS) this.cursor = key; // else this key may have more: the next chunk starts at it again
    }
    return { rows, keys, wrapped: false };
  }
}
