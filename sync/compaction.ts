import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { eventId } from '../gateway/events/event-id.js';
import type { Store } from '../gateway/store/store.js';
import { SyncOutbox, backlogStats } from './outbox.js';

export type DropReason = 'superseded' | 'rolled_up' | 'evicted';

export interface CompactionPolicy {
  gatewayId: string;
  budgetBytes: number;
  lowWater: number;
  rollupAfterMs: number;
  rollupStepsMs: readonly number[];
}

export interface CompactionResult {
  dropped: Record<DropReason, number>;
  gapEvents: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Still over budget after every stage: what is left may not be dropped (alerts, gaps, in-flight rows). */
  overBudget: boolean;
}

interface Row {
  seq: number;
  kind: string;
  topic: string;
  key: string;
  windowEnd: number | null;
  bytes: number;
}

const CHUNK = 5_000;
/** Keeps a Gap event small (~40 kB): its `keys` map lists at most this many keys. */
const GAP_MAX_KEYS = 1_000;
/** DESIGN §6: only these may be dropped; alerts (and anomalies, source-down events, gaps) never are. */
const DROPPABLE = `kind IN ('ScoreUpdate', 'WindowResult') AND topic <> 'ucid.alerts'`;
const COLUMNS = 'seq, kind, topic, msg_key AS key, window_end AS windowEnd, bytes';

/**
 * Keeps the outbox within its byte budget (DESIGN §6): superseded score updates (same key and window) go
 * first, then finer windows roll up into coarser ones (the last update per key per step survives), then the
 * oldest droppable events. Each chunk is one SQLite transaction that deletes rows and writes the Gap event
 * accounting for them, so a crash never loses the accounting. Rows up to `protectedSeq()` (being sent) are kept.
 */
export async function compactOutbox(store: Store, policy: CompactionPolicy, protectedSeq: () => number, nowMs: number): Promise<CompactionResult> {
  const db = store.db;
  const target = policy.budgetBytes * policy.lowWater;
  const bytes = () => backlogStats(db).bytes;
  const result: CompactionResult = { dropped: { superseded: 0, rolled_up: 0, evicted: 0 }, gapEvents: 0, bytesBefore: bytes(), bytesAfter: 0, overBudget: false };
  const done = () => bytes() <= target;
  const outbox = new SyncOutbox(store);
  // Delivered rows only wait to be purged: never dropped (nor counted) here.
  const floor = () => Math.max(protectedSeq(), outbox.deliveredSeq());

  const drop = (rows: readonly Row[], reason: DropReason, detail: Record<string, unknown> = {}) => {
    if (rows.length === 0) return;
    store.transaction(() => {
      outbox.deleteRows(rows);
      for (const topic of new Set(rows.map((r) => r.topic))) {
        for (const group of byKeyCount(rows.filter((r) => r.topic === topic), GAP_MAX_KEYS)) {
          writeGap(store, policy, group, reason, detail, nowMs);
          result.gapEvents++;
        }
      }
    });
    result.dropped[reason] += rows.length;
  };

  if (!done()) {
    const superseded = db.prepare(`SELECT ${COLUMNS} FROM outbox o WHERE compaction_key IS NOT NULL AND seq > ? AND ${DROPPABLE}
      AND EXISTS (SELECT 1 FROM outbox n WHERE n.compaction_key = o.compaction_key AND n.seq > o.seq) ORDER BY seq LIMIT ?`);
    for (let rows: Row[]; !done() && (rows = superseded.all(floor(), CHUNK) as Row[]).length;) {
      drop(rows, 'superseded');
      await yieldToLoop();
    }
  }

  const cutoff = nowMs - policy.rollupAfterMs;
  for (const step of policy.rollupStepsMs) {
    if (done()) break;
    const first = db.prepare(`SELECT min(window_end) AS w FROM outbox WHERE window_end IS NOT NULL AND kind = 'ScoreUpdate' AND seq > ?`)
      .get(floor()) as { w: number | null };
    if (first.w === null) break;
    const span = step * Math.max(1, Math.ceil(6 * 3_600_000 / step));
    const end = Math.floor(cutoff / step) * step;
    const inRange = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE window_end > ? AND window_end <= ? AND kind = 'ScoreUpdate' AND seq > ? AND ${DROPPABLE} ORDER BY seq`);
    for (let from = Math.floor((first.w - 1) / step) * step; from < end && !done(); from += span) {
      const rows = inRange.all(from, Math.min(end, from + span), floor()) as Row[];
      const keep = new Map<string, Row>();
      for (const r of rows) {
        const bucket = `${r.key}|${Math.floor((r.windowEnd! - 1) / step)}`;
        const k = keep.get(bucket);
        if (!k || r.windowEnd! > k.windowEnd! || (r.windowEnd === k.windowEnd && r.seq > k.seq)) keep.set(bucket, r);
      }
      const keepSeqs = new Set([...keep.values()].map((r) => r.seq));
      const victims = rows.filter((r) => !keepSeqs.has(r.seq));
      for (let i = 0; i < victims.length; i += CHUNK) drop(victims.slice(i, i + CHUNK), 'rolled_up', { rollup_step_s: step / 1000 });
      await yieldToLoop();
    }
  }

  const oldest = db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE seq > ? AND ${DROPPABLE} ORDER BY seq LIMIT ?`);
  while (!done()) {
    const rows = oldest.all(floor(), CHUNK) as Row[];
    if (rows.length === 0) break;
    let excess = bytes() - target;
    const victims: Row[] = [];
    for (const r of rows) {
      if (excess <= 0) break;
      victims.push(r);
      excess -= r.bytes;
    }
    drop(victims, 'evicted');
    await yieldToLoop();
  }

  result.bytesAfter = bytes();
  result.overBudget = result.bytesAfter > policy.budgetBytes;
  return result;
}

/** Consecutive runs of `rows` with at most `max` distinct keys each. */
function byKeyCount(rows: readonly Row[], max: number): Row[][] {
  const groups: Row[][] = [];
  let keys = new Set<string>();
  for (const r of rows) {
    if (!keys.has(r.key) && keys.size === max) {
      keys = new Set();
    }
    if (keys.size === 0) groups.push([]);
    keys.add(r.key);
    groups[groups.length - 1]!.push(r);
  }
  return groups;
}

/** The Gap event (DESIGN §6): what was dropped, why, which keys and windows, so the central side can tell. */
function writeGap(store: Store, policy: CompactionPolicy, rows: readonly Row[], reason: DropReason, detail: Record<string, unknown>, nowMs: number): void {
  const keys: Record<string, number> = {};
  const kinds: Record<string, number> = {};
  let minWindow = Infinity;
  let maxWindow = -Infinity;
  for (const r of rows) {
    keys[r.key] = (keys[r.key] ?? 0) + 1;
    kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
    if (r.windowEnd !== null) {
      minWindow = Math.min(minWindow, r.windowEnd);
      maxWindow = Math.max(maxWindow, r.windowEnd);
    }
  }
  const firstSeq = rows[0]!.seq;
  const lastSeq = rows[rows.length - 1]!.seq;
  const key = `gap:${policy.gatewayId}`;
  const id = eventId(policy.gatewayId, 'Gap', `${key}:${reason}`, firstSeq, lastSeq);
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
  store.insertOutbox({
    eventId: id, kind: 'Gap', topic: rows[0]!.topic, key, createdAt: nowMs, windowEnd: null, compactionKey: null,
    payload: JSON.stringify({
      schema: 'ucid.gap.v1', kind: 'Gap', event_id: id, gateway_id: policy.gatewayId, reason, dropped: rows.length,
      dropped_bytes: rows.reduce((sum, r) => sum + r.bytes, 0), kinds, window: { from: iso(minWindow), to: iso(maxWindow) },
      seq: { from: firstSeq, to: lastSeq }, keys, budget_bytes: policy.budgetBytes, ...detail, timestamp: new Date(nowMs).toISOString(),
    }),
  });
}
