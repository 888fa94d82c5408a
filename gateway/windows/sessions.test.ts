import { describe, expect, it } from 'vitest';
import { WindowEngine } from './engine.js';
import { DEFAULT_WINDOW_SPEC, type WindowSpec } from './spec.js';
import { MIN, T0, ofKind, reading } from './test-support.js';
import type { WindowResult } from './types.js';

const SESSIONS: WindowSpec = { ...DEFAULT_WINDOW_SPEC, sliding: null };

function engine(spec: WindowSpec = SESSIONS): WindowEngine {
  return new WindowEngine({ specFor: () => spec });
}

function sessionsOf(e: WindowEngine, ...rs: Array<[number, number] | [number, number, Parameters<typeof reading>[2]]>): WindowResult[] {
  const out: WindowResult[] = [];
  for (const [ts, v, o] of rs) out.push(...ofKind(e.add(reading(ts, v, o)).results, 'session'));
  return out;
}

describe('session windows', () => {
  it('are split by a silence of 30 min', () => {
    const e = engine();
    const closed = sessionsOf(e, [T0, 1], [T0 + 10 * MIN, 2], [T0 + 20 * MIN, 6], [T0 + 51 * MIN, 9]);
    expect(closed).toEqual([
      expect.objectContaining({ startMs: T0, endMs: T0 + 50 * MIN, revision: 0, count: 3, mean: 3, last: 6, lastTs: T0 + 20 * MIN }),
    ]);
    expect(e.stats().openSessions).toBe(1);
  });

  it('split on a silence of exactly the gap, and close when the watermark reaches lastTs + gap', () => {
    const e = engine();
    expect(sessionsOf(e, [T0, 1], [T0 + 30 * MIN, 2])).toEqual([]);
    expect(sessionsOf(e, [T0 + 30 * MIN + 30_000, 2])).toEqual([
      expect.objectContaining({ startMs: T0, endMs: T0 + 30 * MIN, count: 1 }),
    ]);
  });

  it('merge when a reading bridges two open sessions', () => {
    const e = engine({ ...SESSIONS, sessionGapMs: 5 * MIN, allowedLatenessMs: 10 * MIN });
    expect(sessionsOf(e, [T0, 1], [T0 + 6 * MIN, 3])).toEqual([]);
    expect(e.stats().openSessions).toBe(2);
    expect(sessionsOf(e, [T0 + 3 * MIN, 2])).toEqual([]);
    expect(e.stats().openSessions).toBe(1);
    expect(sessionsOf(e, [T0 + 30 * MIN, 0])).toEqual([
      expect.objectContaining({ startMs: T0, endMs: T0 + 11 * MIN, count: 3, mean: 2, last: 3 }),
    ]);
  });

  it('are revised by a late reading inside them, keeping their start and end', () => {
    const e = engine();
    sessionsOf(e, [T0, 10], [T0 + 5 * MIN, 20]);
    expect(sessionsOf(e, [T0 + 60 * MIN, 0])).toEqual([expect.objectContaining({ startMs: T0, endMs: T0 + 35 * MIN })]);
    const late = e.add(reading(T0 + 20 * MIN, 60, { receivedAt: T0 + 60 * MIN }));
    expect(late.status).toBe('late_revised');
    expect(ofKind(late.results, 'session')).toEqual([
      expect.objectContaining({ startMs: T0, endMs: T0 + 35 * MIN, revision: 1, count: 3, mean: 30, last: 60, lastTs: T0 + 20 * MIN }),
    ]);
  });

  it('are never merged by a late reading: it revises the closed session it falls in', () => {
    const e = engine({ ...SESSIONS, sessionGapMs: 5 * MIN, sessionMaxMs: 24 * 60 * MIN });
    const closed = sessionsOf(e, [T0, 1], [T0 + 9 * MIN, 2], [T0 + 20 * MIN, 3]);
    expect(closed.map((s) => [s.startMs, s.endMs])).toEqual([
      [T0, T0 + 5 * MIN],
      [T0 + 9 * MIN, T0 + 14 * MIN],
    ]);
    const late = sessionsOf(e, [T0 + 4 * MIN + 30_000, 5]);
    expect(late).toEqual([expect.objectContaining({ startMs: T0, endMs: T0 + 5 * MIN, revision: 1, count: 2, mean: 3 })]);
    // in no session's span, and a new session there would already be closed: ignored by sessions
    expect(sessionsOf(e, [T0 + 7 * MIN, 5])).toEqual([]);
    expect(e.stats()).toMatchObject({ openSessions: 1, closedSessions: 2 });
  });

  it('never cross a sessionMaxMs (1 h) boundary', () => {
    const e = engine();
    const out: WindowResult[] = [];
    for (let t = T0 + 30 * MIN; t < T0 + 150 * MIN; t += MIN) out.push(...sessionsOf(e, [t, 1]));
    out.push(...ofKind(e.tick(T0 + 10 * 60 * MIN), 'session'));
    expect(out.map((s) => [(s.startMs - T0) / MIN, (s.endMs - T0) / MIN, s.count])).toEqual([
      [30, 60, 30],
      [60, 120, 60],
      [120, 179, 30],
    ]);
  });

  it('only count bad readings that fall in a session', () => {
    const e = engine();
    const out = sessionsOf(
      e,
      [T0, 1, { quality: 'bad' }],
      [T0 + MIN, 2],
      [T0 + 2 * MIN, 2, { quality: 'bad' }],
      [T0 + 3 * MIN, 4, { quality: 'uncertain' }],
      [T0 + 40 * MIN, 0, { quality: 'bad' }],
      [T0 + 59 * MIN, 0],
    );
    expect(out).toEqual([
      expect.objectContaining({ startMs: T0 + MIN, endMs: T0 + 33 * MIN, count: 2, mean: 3, uncertainCount: 1, badCount: 1 }),
    ]);
    expect(e.stats().openSessions).toBe(1);
  });
});
