export const DAY_MS = 86_400_000;

/** Decides when a poller may send: the planned time, moved to an allowed one. */
export interface RequestGate {
  nextStart(plannedMs: number, nowMs: number): number;
  /** Called just before sending; false means "not yet", ask `nextStart` again. */
  claim(): boolean;
}

/**
 * A daily request budget kept without persisting anything: any two requests, retries included, are at least
 * ⌈24 h / perDay⌉ apart, so any 24 h (rolling or calendar) holds at most perDay of them. A new process cannot
 * know when its predecessor last sent, so it waits one full spacing before its first request. Spacing is
 * measured on the monotonic clock: a wall clock that steps (NTP on a Pi without RTC) changes nothing.
 */
export class DailyBudget implements RequestGate {
  readonly spacingMs: number;
  private nextAllowed: number;

  constructor(perDay: number, private readonly monotonic: () => number = () => performance.now()) {
    this.spacingMs = Math.ceil(DAY_MS / perDay);
    this.nextAllowed = monotonic() + this.spacingMs;
  }

  nextStart(plannedMs: number, nowMs: number): number {
    return Math.max(plannedMs, nowMs + Math.max(0, this.nextAllowed - this.monotonic()));
  }

  claim(): boolean {
    const now = this.monotonic();
    if (now < this.nextAllowed) return false;
    this.nextAllowed = now + this.spacingMs;
    return true;
  }
}
