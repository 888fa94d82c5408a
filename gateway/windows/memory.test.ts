import { describe, expect, it } from 'vitest';
import { WindowEngine } from './engine.js';
import { DEFAULT_WINDOW_SPEC as SPEC } from './spec.js';
import { MIN, T0, reading, rng } from './test-support.js';
import type { WindowEngineStats } from './types.js';

describe('memory', () => {
  it('stays bounded by horizon / window size over 10^5 readings of one key', () => {
    const e = new WindowEngine();
    const next = rng(3);
    const peak: WindowEngineStats = { keys: 0, openTumbling: 0, closedTumbling: 0, panes: 0, openSessions: 0, closedSessions: 0 };
    const statuses = { on_time: 0, late_revised: 0, late_dropped: 0 };
    let ts = T0;
    for (let i = 0; i < 100_000; i++) {
      ts += next() < 0.001 ? 45 * MIN : 10_000;
      const late = next() < 0.02 ? Math.floor(next() * 3 * 60 * MIN) : 0;
      const quality = next() < 0.05 ? 'bad' : 'good';
      statuses[e.add(reading(ts - late, next() * 100, { receivedAt: ts, quality })).status]++;
      if (i % 100 === 0) {
        const s = e.stats();
        for (const k of Object.keys(peak) as Array<keyof WindowEngineStats>) peak[k] = Math.max(peak[k], s[k]);
      }
    }
    expect(ts - T0).toBeGreaterThan(11 * 24 * 60 * MIN);
    expect(statuses.late_revised).toBeGreaterThan(500);
    expect(statuses.late_dropped).toBeGreaterThan(500);
    expect(peak.keys).toBe(1);
    // revisable windows: those ending within the horizon behind the watermark, plus the one straddling it
    expect(peak.closedTumbling).toBeLessThanOrEqual(SPEC.revisionHorizonMs / SPEC.tumblingMs + 1);
    expect(peak.openTumbling).toBeLessThanOrEqual(2);
    // the 15 panes of open sliding windows, plus the newest ahead of the watermark
    expect(peak.panes).toBeLessThanOrEqual(16);
    expect(peak.openSessions).toBeLessThanOrEqual(2);
    expect(peak.closedSessions).toBeLessThanOrEqual(3);
  });
});
