import { gridDisk, latLngToCell } from 'h3-js';
import { eventId } from '../../gateway/events/event-id.js';
import { SCORE_SCHEMA, TOPICS, scoreKey } from '../../gateway/events/topics.js';
import type { OutboxRow, Store } from '../../gateway/store/store.js';

export const WINDOW_MS = 300_000;

/** `count` real H3 cells (resolution 9) around Istanbul. */
export function cells(count: number): string[] {
  const out: string[] = [];
  for (let k = 1; out.length < count; k++) {
    for (const c of gridDisk(latLngToCell(41.015, 28.979, 9), k)) if (!out.includes(c) && out.length < count) out.push(c);
  }
  return out;
}

/** A ScoreUpdate outbox row shaped like gateway/pipeline/score-stage.ts writes it. */
export function scoreRow(gatewayId: string, cell: string, context: string, windowEnd: number, revision = 0, createdAt = Date.now()): OutboxRow {
  const key = scoreKey('IST', cell, context);
  const id = eventId(gatewayId, 'ScoreUpdate', key, windowEnd, revision);
  const score = (windowEnd / WINDOW_MS + revision) % 100;
  return {
    eventId: id, kind: 'ScoreUpdate', topic: TOPICS.scores, key, createdAt, windowEnd, compactionKey: `${key}|${windowEnd}`,
    payload: JSON.stringify({
      schema: SCORE_SCHEMA, kind: 'ScoreUpdate', event_id: id, gateway_id: gatewayId, ucid: `UCID-V1:IST:+41.015:+28.979:9:${cell}:2026W01T12:${context}:B:0.90:`,
      city: 'IST', h3_index: cell, h3_res: 9, context, score, grade: 'B', confidence: 0.9, flags: [],
      window: { start: new Date(windowEnd - WINDOW_MS).toISOString(), end: new Date(windowEnd).toISOString(), revision },
      timestamp: new Date(windowEnd).toISOString(),
    }),
  };
}

export function alertRow(gatewayId: string, n: number, createdAt = Date.now()): OutboxRow {
  const key = `IST:alert:${n % 7}`;
  const id = eventId(gatewayId, 'ThresholdAlert', key, createdAt, n);
  return {
    eventId: id, kind: 'ThresholdAlert', topic: TOPICS.alerts, key, createdAt, windowEnd: null, compactionKey: null,
    payload: JSON.stringify({ schema: 'ucid.alert.v1', kind: 'ThresholdAlert', event_id: id, gateway_id: gatewayId, state: 'raised', n }),
  };
}

/** Writes rows through the real Store, in transactions of `perTx`, as the pipeline would. */
export function writeRows(store: Store, rows: readonly OutboxRow[], perTx = 500): void {
  for (let i = 0; i < rows.length; i += perTx) store.transaction(() => rows.slice(i, i + perTx).forEach((r) => store.insertOutbox(r)));
}

/** Score rows for `keys` cells × contexts over `windows` consecutive 5-min windows ending at `lastEnd`, window by window. */
export function scoreBacklog(gatewayId: string, cellList: readonly string[], contexts: readonly string[], windows: number, lastEnd: number): OutboxRow[] {
  const rows: OutboxRow[] = [];
  for (let w = windows - 1; w >= 0; w--) {
    for (const cell of cellList) for (const context of contexts) rows.push(scoreRow(gatewayId, cell, context, lastEnd - w * WINDOW_MS));
  }
  return rows;
}
