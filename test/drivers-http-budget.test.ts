import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff, parseRetryAfter } from '../drivers/http/backoff.js';
import { DAY_MS, DailyBudget } from '../drivers/http/budget.js';

/**
 * Runs a poller against the budget on simulated clocks: it asks for a start time, sleeps until then (plus
 * scheduling lateness), claims, and records the request; restarts make a new process with a fresh budget
 * object and monotonic clock. Returns the wall-clock times of all requests.
 */
function simulate(perDay: number, intervalMs: number, restarts: number[], lateness: number[], days: number): number[] {
  const requests: number[] = [];
  let wall = 1_780_000_000_000;
  const end = wall + days * DAY_MS;
  let restartIndex = 0;
  let step = 0;
  while (wall < end) {
    const processStart = wall;
    const processEnd = restartIndex < restarts.length ? wall + restarts[restartIndex++]! : end;
    let mono = 1_000_000 * restartIndex;
    const budget = new DailyBudget(perDay, () => mono);
    let planned = wall;
    while (wall < Math.min(processEnd, end)) {
      const due = budget.nextStart(planned, wall);
      const late = lateness[step++ % lateness.length]!;
      const at = Math.max(wall, due) + late;
      if (at >= processEnd) break;
      mono += at - wall;
      wall = at;
      if (budget.claim()) {
        requests.push(wall);
        planned = wall + intervalMs;
      } else {
        planned = wall;
      }
    }
    wall = Math.max(wall, processEnd, processStart + 1);
  }
  return requests;
}

function maxInAnyDay(times: number[]): number {
  let max = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= DAY_MS) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('daily request budget', () => {
  it('spaces 1000 requests a day 86.4 s apart, the first one spacing after start', () => {
    let mono = 5_000;
    const now = 1_780_000_000_000;
    const budget = new DailyBudget(1000, () => mono);
    expect(budget.spacingMs).toBe(86_400);
    expect(budget.nextStart(now, now)).toBe(now + 86_400);
    expect(budget.claim()).toBe(false);
    mono += 86_400;
    expect(budget.claim()).toBe(true);
    expect(budget.nextStart(now + 86_400 + 10, now + 86_400 + 10)).toBe(now + 2 * 86_400 + 10);
  });

  it('never exceeds the budget in any 24 h, across restarts, retries and late timers', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 48 }),
      fc.integer({ min: 0, max: 4 * 3_600_000 }),
      fc.array(fc.integer({ min: 1, max: 6 * 3_600_000 }), { maxLength: 30 }),
      fc.array(fc.integer({ min: 0, max: 7_200_000 }), { minLength: 1, maxLength: 10 }),
      (perDay, intervalMs, restarts, lateness) => {
        const requests = simulate(perDay, intervalMs, restarts, lateness, 3);
        expect(maxInAnyDay(requests)).toBeLessThanOrEqual(perDay);
      },
    ), { numRuns: 300 });
  });

  it('uses the whole budget when asked to poll as often as it can', () => {
    const requests = simulate(24, 0, [], [0], 3);
    expect(maxInAnyDay(requests)).toBe(24);
  });

  it('ignores the wall clock: stepping it back or forward changes no spacing', () => {
    let mono = 0;
    const budget = new DailyBudget(24, () => mono);
    mono = 3_600_000;
    expect(budget.claim()).toBe(true);
    mono += 60_000;
    expect(budget.nextStart(0, 1_000)).toBe(1_000 + 3_540_000);
    expect(budget.claim()).toBe(false);
  });
});

describe('backoff and Retry-After', () => {
  it('doubles up to the maximum with jitter in [d/2, d], and resets', () => {
    const backoff = new Backoff(1000, 8000, () => 1);
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([1000, 2000, 4000, 8000, 8000]);
    backoff.reset();
    expect(new Backoff(1000, 8000, () => 0).next()).toBe(500);
    expect(backoff.consecutiveFailures).toBe(0);
  });

  it('reads delay-seconds and HTTP dates (RFC 9110 §10.2.3)', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
