import type { Logger } from 'pino';

export interface SampledLogOptions {
  /** Lines logged per key in each period; the rest are counted. */
  burst?: number;
  /** Length of a period, ms (default 60 s). */
  periodMs?: number;
  /** Keys tracked at once; past it, new keys share one bucket. */
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  startedAt: number;
  logged: number;
  suppressed: number;
  msg: string;
}

const OVERFLOW_KEY = '(other)';

/**
 * Warn lines that one bad input repeats (a sensor sending an unreadable payload every second, a flood of them):
 * per key, the first `burst` of each period are logged, the rest counted and reported in one line when the
 * period ends. What is counted elsewhere (quarantine rows, metrics) is untouched.
 */
export class SampledLog {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly periodMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly log: Logger, options: SampledLogOptions = {}) {
    this.burst = options.burst ?? 10;
    this.periodMs = options.periodMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 1_000;
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.reportEnded(), this.periodMs).unref();
  }

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket && now - bucket.startedAt >= this.periodMs) {
      this.report(key, bucket);
      bucket = undefined;
    }
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.reportEnded(now);
      if (this.buckets.size >= this.maxKeys && key !== OVERFLOW_KEY) return this.warn(OVERFLOW_KEY, fields, msg);
      bucket = { startedAt: now, logged: 0, suppressed: 0, msg };
      this.buckets.set(key, bucket);
    }
    if (bucket.logged < this.burst) {
      bucket.logged++;
      this.log.warn(fields, msg);
    } else {
      bucket.suppressed++;
    }
  }

  /** Reports what the periods that have ended suppressed, and forgets their keys. */
  reportEnded(now = this.now()): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.startedAt >= this.periodMs) this.report(key, bucket);
  }

  /** Reports every count held and stops the period timer. */
  stop(): void {
    clearInterval(this.timer);
    for (const [key, bucket] of this.buckets) this.report(key, bucket);
  }

  private report(key: string, bucket: Bucket): void {
    this.buckets.delete(key);
    if (bucket.suppressed === 0) return;
    this.log.warn({ key, suppressed: bucket.suppressed, periodMs: this.periodMs }, `${bucket.msg}: ${bucket.suppressed} more like it not logged`);
  }
}
