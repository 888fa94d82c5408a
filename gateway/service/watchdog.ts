/**
 * Pipeline progress as the watchdog sees it: the pipeline is healthy when it has nothing pending or
 * has committed within the last `stallAfterMs`. Work that sits uncommitted longer than that means a
 * stuck pipeline: the watchdog stops being fed and systemd restarts the service.
 */
export class ProgressTracker {
  private lastProgressAt: number;

  constructor(private readonly stallAfterMs: number, now = Date.now()) {
    this.lastProgressAt = now;
  }

  /** Called after each successful commit. */
  committed(now = Date.now()): void {
    this.lastProgressAt = now;
  }

  /** True while the pipeline is making progress; `pending` is what waits for a commit right now. */
  check(pending: number, now = Date.now()): boolean {
    if (pending === 0) this.lastProgressAt = now;
    return now - this.lastProgressAt < this.stallAfterMs;
  }

  stalledForMs(now = Date.now()): number {
    return Math.max(0, now - this.lastProgressAt);
  }
}

export interface WatchdogOptions {
  intervalMs: number;
  /** Healthy right now? */
  healthy(): boolean;
  feed(): void;
  onStall(): void;
  onRecover(): void;
}

/** Feeds the systemd watchdog every `intervalMs` (a third of WatchdogSec) while `healthy()` holds. */
export class Watchdog {
  private timer: NodeJS.Timeout | null = null;
  private stalled = false;

  constructor(private readonly options: WatchdogOptions) {}

  start(): void {
    this.timer = setInterval(() => this.beat(), this.options.intervalMs);
    this.timer.unref();
    this.beat();
  }

  beat(): void {
    if (this.options.healthy()) {
      if (this.stalled) this.options.onRecover();
      this.stalled = false;
      this.options.feed();
    } else if (!this.stalled) {
      this.stalled = true;
      this.options.onStall();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
