export const DAY_MS = 86_400_000;

/** Decides when a poller may send: the planned time, moved to an allowed one. */
export interface RequestGate {
  nextStart(plannedMs: number): number;
  /** Called just before sending at `nowMs`; false means "not yet", ask `nextStart` again. */
  claim(nowMs: number): boolean;
}

/**
 * A daily request budget that survives restarts without persisting anything: time is cut into slots of
 * ⌈24 h / perDay⌉ on a grid fixed to the Unix epoch, a request may only start in a slot no earlier request
 * used, and a new process never uses the slot it starts in (an earlier process may have). Any 24 h span holds
 * at most ⌈24 h / slot⌉ ≤ perDay slots, hence at most perDay requests, retries included. A wall clock that
 * steps back is caught by also keeping one slot of monotonic time between requests.
 */
export class DailyBudget implements RequestGate {
  readonly slotMs: number;
  private lastSlot: number;
  private lastClaimMono = -Infinity;

  constructor(perDay: number, nowMs: number, private readonly monotonic: () => number = () => performance.now()) {
    this.slotMs = Math.ceil(DAY_MS / perDay);
    this.lastSlot = Math.floor(nowMs / this.slotMs);
  }

  nextStart(plannedMs: number): number {
    const slot = Math.max(Math.ceil(plannedMs / this.slotMs), this.lastSlot + 1);
    const byWallClock = slot * this.slotMs;
    const monoWait = this.lastClaimMono + this.slotMs - this.monotonic();
    return monoWait > 0 ? Math.max(byWallClock, plannedMs + monoWait) : byWallClock;
  }

  claim(nowMs: number): boolean {
    const slot = Math.floor(nowMs / this.slotMs);
    if (this.monotonic() - this.lastClaimMono < this.slotMs) return false;
    if (slot <= this.lastSlot) {
      if (slot >= this.lastSlot - 1) return false;
      // the wall clock stepped back by more than a slot: the monotonic spacing above still holds the rate
      this.lastSlot = slot - 1;
    }
    this.lastSlot = slot;
    this.lastClaimMono = this.monotonic();
    return true;
  }
}
