import { describe, expect, it } from 'vitest';
import { CommitPacing } from './commit-pacing.js';

const DEFAULTS = { groupCommitDelayMs: 0, minCommitIntervalMs: 25, readingsPerCommit: 25 };

/** `perMs` inputs every ms from `from` to `to`, a commit scheduled every `everyMs` (as the pipeline does); the last delay. */
function drive(pacing: CommitPacing, from: number, to: number, perMs: number, everyMs = 50): number {
  let delay = NaN;
  for (let t = from + 1; t <= to; t++) {
    pacing.arrived(perMs);
    if ((t - from) % everyMs === 0) {
      pacing.commitStarted(t);
      delay = pacing.delayMs(1, t);
    }
  }
  return delay;
}

describe('CommitPacing', () => {
  it('waits store.minCommitInterval at a low rate and the time readingsPerCommit take at a high one', () => {
    const pacing = new CommitPacing(DEFAULTS, 0);
    expect(drive(pacing, 0, 5_000, 1, 25)).toBe(25); // 1,000/s: 25 readings take 25 ms
    const fast = new CommitPacing(DEFAULTS, 0);
    expect(drive(fast, 0, 5_000, 10)).toBe(3); // 10,000/s: 2.5 ms
  });

  it('tells the interval between commits at the current rate (what the checkpoint budget follows)', () => {
    const pacing = new CommitPacing(DEFAULTS, 0);
    expect(pacing.intervalMs()).toBe(25); // idle: store.minCommitInterval
    drive(pacing, 0, 5_000, 1, 25);
    expect(pacing.intervalMs()).toBeCloseTo(25, 0);
    drive(pacing, 5_000, 10_000, 10, 25);
    expect(pacing.intervalMs()).toBeCloseTo(2.5, 1);
  });

  it('follows a step from idle within one sample, not over a second', () => {
    const pacing = new CommitPacing(DEFAULTS, 0);
    pacing.commitStarted(0);
    expect(pacing.delayMs(1, 5_000)).toBe(0); // idle for 5 s: nothing to space from
    // 10,000/s from then on: the first sample (50 ms) replaces the idle rate; weighted over ~1 s it would still
    // be ~490/s, and every commit for the next ~100 ms would wait the whole 25 ms (docs/benchmarks.md)
    expect(drive(pacing, 5_000, 5_050, 10)).toBeLessThanOrEqual(3);
  });

  it('takes a burst at a high rate (a backlog read after a stall) into the weighting only', () => {
    const pacing = new CommitPacing(DEFAULTS, 0);
    drive(pacing, 0, 3_000, 10); // 10,000/s: 2.5 ms
    pacing.arrived(1_500); // 50 ms' worth three times over
    pacing.commitStarted(3_050);
    expect(pacing.delayMs(1, 3_050)).toBe(3); // replaced by 30,000/s it would be 1
  });

  it('does not jump on a steady rate\'s jitter, and follows a falling rate over about a second', () => {
    const pacing = new CommitPacing(DEFAULTS, 0);
    drive(pacing, 0, 3_000, 1);
    pacing.arrived(75); // a sample at 1.5× the rate
    pacing.commitStarted(3_050);
    expect(pacing.delayMs(1, 3_050)).toBeGreaterThanOrEqual(23);

    const fast = new CommitPacing(DEFAULTS, 0);
    drive(fast, 0, 3_000, 10);
    expect(drive(fast, 3_000, 3_100, 0)).toBeLessThanOrEqual(3); // 100 ms of silence: still ~9,000/s
    expect(drive(fast, 3_100, 6_000, 0)).toBe(25);
  });
});
