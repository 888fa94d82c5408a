import type { Store } from './store.js';

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
