const ARRIVAL_RATE_TAU_MS = 1_000;
const ARRIVAL_RATE_MIN_SAMPLE_MS = 50;
/**
 * While the weighted rate is too low to shorten the interval, a sample this many times it replaces it: a step from
 * idle is followed in 50 ms, not ~1 s. Above that only the weighting: a backlog read after a stall is a burst of
 * arrivals, not a faster rate, and a jump to it halved every batch and raised the CPU (docs/benchmarks.md).
 */
const ARRIVAL_RATE_STEP_FACTOR = 2;

export interface CommitPacingOptions {
  /** store.groupCommitDelay: the least a commit waits (0: once the I/O already read is handled). */
  groupCommitDelayMs: number;
  /** store.minCommitInterval: a commit starts no sooner than this after the previous one started… */
  minCommitIntervalMs?: number;
  /** …unless this many readings are waiting (store.commitNowAtReadings)… */
  commitNowAtReadings?: number;
  /** …or this many are due at the rate of the last second or so (store.readingsPerCommit). */
  readingsPerCommit?: number;
}

/**
 * When the next group commit starts (docs/pipeline.md "Commits and checkpoints"). What is waiting undercounts
 * what is on its way: a client whose publishes wait for a commit is not read until then, so the arrival rate,
 * time-weighted over ~1 s and sampled as commits are scheduled, says how soon readingsPerCommit will be there.
 */
export class CommitPacing {
  private lastCommitAt = -Infinity;
  private arrivalRate = 0;
  private arrivalsSinceSample = 0;
  private rateSampledAt: number;

  constructor(private readonly options: CommitPacingOptions, now = performance.now()) {
    this.rateSampledAt = now;
  }

  arrived(inputs: number): void {
    this.arrivalsSinceSample += inputs;
  }

  commitStarted(now = performance.now()): void {
    this.lastCommitAt = now;
  }

  /** ms from `now` (performance.now()) until the next commit, with `waiting` inputs. */
  delayMs(waiting: number, now = performance.now()): number {
    const { groupCommitDelayMs, commitNowAtReadings = Infinity } = this.options;
    if (waiting >= commitNowAtReadings) return groupCommitDelayMs;
    this.sampleArrivalRate(now);
    return Math.max(groupCommitDelayMs, Math.ceil(this.lastCommitAt + this.intervalMs() - now));
  }

  /** The interval between commit starts at the arrival rate last sampled, ms. */
  intervalMs(): number {
    const { minCommitIntervalMs = 0, readingsPerCommit } = this.options;
    const rate = this.arrivalRate;
    return readingsPerCommit && rate > 0 ? Math.min(minCommitIntervalMs, (1000 * readingsPerCommit) / rate) : minCommitIntervalMs;
  }

  private sampleArrivalRate(now: number): number {
    const elapsedMs = now - this.rateSampledAt;
    if (elapsedMs < ARRIVAL_RATE_MIN_SAMPLE_MS) return this.arrivalRate;
    const sampled = (1000 * this.arrivalsSinceSample) / elapsedMs;
    const { minCommitIntervalMs = 0, readingsPerCommit = Infinity } = this.options;
    const idle = this.arrivalRate < (1000 * readingsPerCommit) / minCommitIntervalMs;
    if (idle && sampled > ARRIVAL_RATE_STEP_FACTOR * this.arrivalRate) this.arrivalRate = sampled;
    else this.arrivalRate += (1 - Math.exp(-elapsedMs / ARRIVAL_RATE_TAU_MS)) * (sampled - this.arrivalRate);
    this.arrivalsSinceSample = 0;
    this.rateSampledAt = now;
    return this.arrivalRate;
  }
}
