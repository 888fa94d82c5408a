import { backoffDelay, type BackoffPolicy } from './backoff.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Circuit breaker for the uplink. Closed: attempts flow, a failure waits a short backoff. After
 * `threshold` consecutive failures it opens: no attempt until the (growing, jittered) backoff has passed;
 * then half-open lets one probe through, whose success closes it and whose failure re-opens it.
 */
export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private failuresValue = 0;
  private nextAttemptAtValue = 0;

  constructor(private readonly threshold: number, private readonly policy: BackoffPolicy, private readonly random: () => number = Math.random) {}

  get state(): BreakerState {
    return this.stateValue;
  }

  get failures(): number {
    return this.failuresValue;
  }

  get nextAttemptAt(): number {
    return this.nextAttemptAtValue;
  }

  /** Milliseconds to wait before the next attempt may start; 0 means go (and moves open → half-open). */
  waitMs(now: number): number {
    const wait = Math.max(0, this.nextAttemptAtValue - now);
    if (wait === 0 && this.stateValue === 'open') this.stateValue = 'half-open';
    return wait;
  }

  onSuccess(): void {
    this.stateValue = 'closed';
    this.failuresValue = 0;
    this.nextAttemptAtValue = 0;
  }

  /** Returns the delay until the next attempt. */
  onFailure(now: number): number {
    this.failuresValue++;
    if (this.stateValue === 'half-open' || this.failuresValue >= this.threshold) this.stateValue = 'open';
    const delay = backoffDelay(this.failuresValue, this.policy, this.random);
    this.nextAttemptAtValue = now + delay;
    return delay;
  }
}
