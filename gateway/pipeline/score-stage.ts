import { encodeUcid, gradeFor } from '../ucid/codec.js';
import { computeContextScore, type MetricAggregate } from '../scores/score.js';
import type { ScoringRules } from '../scores/rules.js';
import { eventId } from '../events/event-id.js';
import { SCORE_SCHEMA, TOPICS, scoreKey } from '../events/topics.js';
import type { ScoreRow, Store, WindowRow } from '../store/store.js';
import type { SensorDirectory } from './sensor-directory.js';

export interface ScoreStageOptions {
  gatewayId: string;
  h3Resolution: number;
  staleHorizonMs: number;
  rules: ScoringRules;
}

export interface ScoreUpdate extends ScoreRow {
  flagList: string[];
  key: string;
  /** Of the reading whose window change led to this update (DESIGN §8 logs; Kafka header). */
  correlationId: string;
}

/**
 * DESIGN §3: one score per (H3 cell, context) per closed tumbling window. Runs inside the commit's
 * transaction, so it sees the window rows written in the same batch; each change is one ScoreUpdate row
 * plus its outbox row. A recomputation that changes nothing emits nothing (replays are idempotent).
 */
export class ScoreStage {
  constructor(private readonly store: Store, private readonly directory: SensorDirectory, private readonly options: ScoreStageOptions) {}

  onTumblingWindows(windows: readonly WindowRow[], nowMs: number, correlationOf: (w: WindowRow) => string = () => `${this.options.gatewayId}/recompute`): ScoreUpdate[] {
    const dirty = new Map<string, { cell: string; context: string; startMs: number; endMs: number; correlationId: string }>();
    for (const w of windows) {
      const placement = this.directory.lookup(w.sensorId);
      if (!placement) continue;
      for (const context of this.directory.contextsFor(placement, w.metric)) {
        const key = `${placement.cell}|${context}|${w.startMs}`;
        if (!dirty.has(key)) dirty.set(key, { cell: placement.cell, context, startMs: w.startMs, endMs: w.endMs, correlationId: correlationOf(w) });
      }
    }
    const updates: ScoreUpdate[] = [];
    for (const target of dirty.values()) {
      const update = this.compute(target.cell, target.context, target.startMs, target.endMs, nowMs, target.correlationId);
      if (update) updates.push(update);
    }
    return updates;
  }

  private compute(cell: string, context: string, startMs: number, endMs: number, nowMs: number, correlationId: string): ScoreUpdate | null {
    const rule = this.options.rules[context];
    if (!rule) return null;
    const inputs: MetricAggregate[] = [];
    let city = '';
    for (const sensor of this.directory.sensorsIn(cell)) {
      if (!this.directory.feeds(sensor, context)) continue;
      city ||= sensor.city;
      const expectedCount = Math.max(1, (endMs - startMs) / sensor.expectedIntervalMs);
      const current = this.store.tumblingWindowsAt(sensor.sensorId, startMs);
      const present = new Set<string>();
      for (const w of current) {
        if (!(w.metric in rule.metrics) || w.count === 0) continue;
        present.add(w.metric);
        inputs.push({ metric: w.metric, mean: w.mean, count: w.count, expectedCount, uncertainCount: w.uncertainCount, stale: false });
      }
      const missing = Object.keys(rule.metrics).filter((m) => !present.has(m) && this.directory.contextsFor(sensor, m).includes(context));
      if (missing.length === 0) continue;
      // DESIGN §5 DataSourceDown: a silent sensor is scored from its cached last window, flagged STALE.
      for (const w of this.store.latestTumblingWindowsBefore(sensor.sensorId, startMs, startMs - this.options.staleHorizonMs)) {
        if (!missing.includes(w.metric) || w.count === 0) continue;
        inputs.push({ metric: w.metric, mean: w.mean, count: w.count, expectedCount, uncertainCount: w.uncertainCount, stale: true });
      }
    }
    if (!inputs.some((i) => !i.stale)) return null;
    const result = computeContextScore(rule, inputs);
    if (!result) return null;

    const flags = result.flags.join(';');
    const previous = this.store.scoreAt(cell, context, endMs);
    if (previous && previous.score === result.score && previous.confidence === result.confidence && previous.flags === flags) return null;
    const revision = previous ? previous.revision + 1 : 0;
    const ucid = encodeUcid({
      city, cell, timeMs: startMs, context,
      score: result.score, confidence: result.confidence, flags: result.flags,
    });
    const key = scoreKey(city, cell, context);
    const id = eventId(this.options.gatewayId, 'ScoreUpdate', key, endMs, revision);
    const row: ScoreRow = {
      h3Index: cell, context, windowEnd: endMs, windowStart: startMs, city, revision, score: result.score,
      grade: gradeFor(result.score), confidence: result.confidence, flags, ucid, eventId: id, computedAt: nowMs,
    };
    this.store.upsertScore(row, correlationId);
    this.store.insertOutbox({
      eventId: id, kind: 'ScoreUpdate', topic: TOPICS.scores, key, createdAt: nowMs, windowEnd: endMs, compactionKey: `${key}|${endMs}`,
      payload: JSON.stringify({
        schema: SCORE_SCHEMA, kind: 'ScoreUpdate', event_id: id, gateway_id: this.options.gatewayId, ucid, city, h3_index: cell,
        h3_res: this.options.h3Resolution, context, score: result.score, grade: row.grade, confidence: result.confidence,
        flags: result.flags, window: { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), revision },
        timestamp: new Date(endMs).toISOString(), correlation_id: correlationId,
      }),
    });
    return { ...row, flagList: result.flags, key, correlationId };
  }
}
