import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { CircuitBreaker } from './breaker.js';

const policy = { initialMs: 100, maxMs: 1_000, multiplier: 2 };

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, jittered between half and all of it', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([1, 2, 5].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 500]);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(3, policy);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});

describe('CircuitBreaker', () => {
  it('closed → open after the threshold → half-open after the backoff → closed on success', () => {
    const b = new CircuitBreaker(3, policy, () => 1);
    expect(b.state).toBe('closed');
    expect(b.waitMs(0)).toBe(0);
    expect(b.onFailure(0)).toBe(100);
    expect(b.state).toBe('closed');
    expect(b.waitMs(50)).toBe(50);
    b.onFailure(100);
    expect(b.state).toBe('closed');
    expect(b.onFailure(300)).toBe(400);
    expect(b.state).toBe('open');
    expect(b.waitMs(500)).toBe(200);
    expect(b.state).toBe('open');
    expect(b.waitMs(700)).toBe(0);
    expect(b.state).toBe('half-open');
    b.onSuccess();
    expect(b.state).toBe('closed');
    expect(b.failures).toBe(0);
  });

  it('a failed half-open probe re-opens it with a longer backoff', () => {
    const b = new CircuitBreaker(1, policy, () => 1);
    b.onFailure(0);
    expect(b.state).toBe('open');
    expect(b.waitMs(100)).toBe(0);
    expect(b.state).toBe('half-open');
    expect(b.onFailure(100)).toBe(200);
    expect(b.state).toBe('open');
    expect(b.nextAttemptAt).toBe(300);
  });
});
