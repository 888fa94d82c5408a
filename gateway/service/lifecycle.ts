import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics.js';
import { SdNotifier, watchdogIntervalMs } from './notify.js';
import { ProgressTracker, Watchdog } from './watchdog.js';

/**
 * The systemd side of the process: READY=1 once everything is up, WATCHDOG=1 every third of
 * WatchdogSec while the pipeline makes progress, STOPPING=1 when draining starts.
 */
export class ServiceLifecycle {
  private readonly notifier: SdNotifier;
  private readonly watchdogMs: number | null;
  private readonly progress: ProgressTracker | null;
  private watchdog: Watchdog | null = null;

  constructor(private readonly log: Logger, private readonly metrics: GatewayMetrics, env: NodeJS.ProcessEnv = process.env) {
    this.notifier = SdNotifier.fromEnv(log, env);
    this.watchdogMs = watchdogIntervalMs(env);
    this.progress = this.watchdogMs ? new ProgressTracker(Math.max(1_000, this.watchdogMs / 2)) : null;
  }

  /** Call after each successful commit. */
  committed(): void {
    this.progress?.committed();
  }

  ready(status: string, pending: () => number): void {
    this.metrics.ready.set(1);
    this.notifier.ready(status);
    if (!this.watchdogMs || !this.progress) return;
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
