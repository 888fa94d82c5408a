import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { SdNotifier, watchdogIntervalMs } from './notify.js';
import { ProgressTracker, Watchdog } from './watchdog.js';

/** Without a systemd watchdog, pending work uncommitted this long still counts as a stall (health endpoints). */
const DEFAULT_STALL_MS = 15_000;

/**
 * The systemd side of the process: READY=1 once everything is up, WATCHDOG=1 every third of
 * WatchdogSec while the pipeline makes progress, STOPPING=1 when draining starts.
 */
export class ServiceLifecycle {
  private readonly notifier: SdNotifier;
  private readonly watchdogMs: number | null;
  private readonly progress: ProgressTracker;
  private pending: () => number = () => 0;
  private watchdog: Watchdog | null = null;

  constructor(private readonly log: Logger, private readonly metrics: GatewayMetrics, env: NodeJS.ProcessEnv = process.env) {
    this.notifier = SdNotifier.fromEnv(log, env);
    this.watchdogMs = watchdogIntervalMs(env);
    this.progress = new ProgressTracker(this.watchdogMs ? Math.max(1_000, this.watchdogMs / 2) : DEFAULT_STALL_MS);
  }

  /** Call after each successful commit. */
  committed(): void {
    this.progress.committed();
  }

  /** The watchdog's view of the pipeline, for health endpoints: progressing unless work waits uncommitted too long. */
  pipelineProgress(): { progressing: boolean; pending: number; sinceProgressMs: number } {
    const pending = this.pending();
    return { progressing: this.progress.check(pending), pending, sinceProgressMs: this.progress.stalledForMs() };
  }

  ready(status: string, pending: () => number): void {
    this.metrics.ready.set(1);
    this.pending = pending;
    this.notifier.ready(status);
    if (!this.watchdogMs) return;
    const progress = this.progress;
    this.watchdog = new Watchdog({
      intervalMs: Math.max(100, Math.floor(this.watchdogMs / 3)),
      healthy: () => progress.check(pending()),
      feed: () => {
        this.notifier.watchdog();
        this.metrics.watchdogFeeds.inc();
      },
      onStall: () => {
        this.metrics.pipelineStalled.set(1);
        this.log.error({ pending: pending(), stalledForMs: progress.stalledForMs() }, 'pipeline stalled: pending readings not committed; watchdog no longer fed');
      },
      onRecover: () => {
        this.metrics.pipelineStalled.set(0);
        this.log.warn('pipeline progressing again; watchdog fed');
      },
    });
    this.watchdog.start();
    this.log.info({ watchdogMs: this.watchdogMs }, 'systemd watchdog armed');
  }

  reloaded(status: string): void {
    this.notifier.status(status);
  }

  stopping(): void {
    this.metrics.ready.set(0);
    this.watchdog?.stop();
    this.notifier.stopping();
  }

  close(): Promise<void> {
    this.watchdog?.stop();
    return this.notifier.close();
  }
}
