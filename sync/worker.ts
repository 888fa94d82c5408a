import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { GatewayError } from '../gateway/errors.js';
import type { Store } from '../gateway/store/store.js';
import { sleep } from './backoff.js';
import { BREAKER_STATE_VALUE, CircuitBreaker, type BreakerState } from './breaker.js';
import { compactOutbox, type DropReason } from './compaction.js';
import { LazyKafkajsUplink } from './lazy-uplink.js';
import type { SyncMetrics } from './metrics.js';
import { SyncOutbox, type BacklogStats, type OutboxRecord } from './outbox.js';
import { prepareBatch, type Batch } from './records.js';
import type { SyncConfig } from './schema.js';
import { describeUplinkError, isTooLarge, type UplinkClient } from './uplink.js';

export type UplinkState = 'disabled' | 'connecting' | 'online' | 'offline';

export interface SyncStatus {
  enabled: boolean;
  state: UplinkState;
  breaker: BreakerState;
  failures: number;
  nextAttemptAt: number | null;
  brokers: string[];
  transactionalId: string;
  lastError: { code: string; message: string; at: number } | null;
  lastDelivery: { at: number; seq: number; events: number } | null;
  deliveredSeq: number;
  backlog: BacklogStats;
  budgetBytes: number;
  overBudget: boolean;
  sent: number;
  compacted: Record<DropReason, number>;
  updatedAt: number;
}

/** Test-only crash points (sync/main.ts); the gateway never sets them. */
export interface SyncHooks {
  afterAppend?(batch: readonly OutboxRecord[]): void | Promise<void>;
  afterCommit?(batch: readonly OutboxRecord[]): void | Promise<void>;
}

export interface SyncWorkerOptions {
  gatewayId: string;
  config: SyncConfig;
  client?: UplinkClient;
  hooks?: SyncHooks;
  now?: () => number;
}

const STOP_GRACE_MS = 10_000;
const PURGE_CHUNK = 1_000;
const IN_DOUBT_TIMEOUT_MS = 90_000;
const PREPARE_SLICE = 1_000;

/**
 * DESIGN §6 store-and-forward: drains the outbox in seq order into Kafka, one transaction per batch with a
 * checkpoint record; keeps the outbox within its byte budget. Runs on its own timers and never blocks the
 * pipeline beyond short, bounded SQLite statements. docs/sync.md explains the exactly-once argument.
 */
export class SyncWorker {
  private readonly outbox: SyncOutbox;
  private readonly breaker: CircuitBreaker;
  private readonly client: UplinkClient | null;
  private readonly transactionalId: string;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private loopDone: Promise<void> = Promise.resolve();
  private housekeeping: NodeJS.Timeout | null = null;
  private compacting: Promise<void> | null = null;
  private connected = false;
  private sendingUpTo = 0;
  private batchMaxEvents: number;
  /** Delivered rows allowed to wait for an idle moment: about half the budget's worth (~800 B a row on disk). */
  private readonly purgeDuringDrainAbove: number;
  private current: SyncStatus;

  constructor(store: Store, private readonly metrics: SyncMetrics, private readonly log: Logger, private readonly options: SyncWorkerOptions) {
    const { config } = options;
    this.now = options.now ?? Date.now;
    this.batchMaxEvents = config.batchMaxEvents;
    this.purgeDuringDrainAbove = Math.max(50_000, Math.floor(config.budget / 1_600));
    this.outbox = new SyncOutbox(store);
    this.outbox.recount();
    this.transactionalId = config.transactionalId ?? `ucid-gw-${options.gatewayId}`;
    this.breaker = new CircuitBreaker(config.breakerThreshold, { initialMs: config.retry.initial, maxMs: config.retry.max, multiplier: config.retry.multiplier });
    this.client = !config.enabled ? null : options.client ?? new LazyKafkajsUplink(config, this.transactionalId, log);
    this.current = {
      enabled: config.enabled, state: config.enabled ? 'connecting' : 'disabled', breaker: 'closed', failures: 0, nextAttemptAt: null,
      brokers: [...config.brokers], transactionalId: this.transactionalId, lastError: null, lastDelivery: null,
      deliveredSeq: this.outbox.deliveredSeq(), backlog: this.outbox.stats(), budgetBytes: config.budget, overBudget: false,
      sent: 0, compacted: { superseded: 0, rolled_up: 0, evicted: 0 }, updatedAt: this.now(),
    };
  }

  start(): this {
    this.tick();
    this.housekeeping = setInterval(() => this.tick(), this.options.config.compaction.interval);
    if (this.client) this.loopDone = this.loop();
    return this;
  }

  status(): SyncStatus {
    return { ...this.current, breaker: this.breaker.state, failures: this.breaker.failures, nextAttemptAt: this.breaker.nextAttemptAt || null };
  }

  /** Stops after the batch in flight (or gives up on it after a grace period: it is then resolved on the next start). */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.housekeeping) clearInterval(this.housekeeping);
    const grace = sleep(STOP_GRACE_MS);
    await Promise.race([this.loopDone, grace]);
    await this.client?.close().catch(() => undefined);
    await Promise.race([Promise.all([this.loopDone, this.compacting]), sleep(STOP_GRACE_MS)]);
    this.writeStatus();
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      const wait = this.breaker.waitMs(this.now());
      if (wait > 0) {
        await sleep(wait, signal);
        continue;
      }
      try {
        if (!this.connected) await this.recover();
        if ((await this.drain()) === 0) {
          this.succeeded();
          await this.purgeWhileIdle();
          await sleep(this.options.config.pollInterval, signal);
        }
      } catch (err) {
        if (signal.aborted) break;
        await this.fail(err);
      }
    }
  }

  private async fail(err: unknown): Promise<void> {
    const error = describeUplinkError(err, this.options.config.brokers.join(','));
    if (isTooLarge(err) && this.batchMaxEvents > 1) {
      this.batchMaxEvents = Math.max(1, this.batchMaxEvents >> 1);
      this.log.warn({ batchMaxEvents: this.batchMaxEvents }, 'the broker refused a batch as too large (message.max.bytes): halving batches');
    }
    this.connected = false;
    await this.client!.close().catch(() => undefined);
    const delay = this.breaker.onFailure(this.now());
    this.current.lastError = { code: error.code, message: error.message, at: this.now() };
    this.metrics.syncFailed.inc({ code: error.code });
    this.metrics.syncBreakerState.set(BREAKER_STATE_VALUE[this.breaker.state]);
    this.log.warn({ code: error.code, err: error.message, retryInMs: delay, breaker: this.breaker.state, failures: this.breaker.failures },
      'uplink failed; outbox kept, will retry');
    this.setState('offline');
  }

  /** Connect (fencing older instances), then settle the batch that was in doubt when the last run ended. */
  private async recover(): Promise<void> {
    const client = this.client!;
    this.setState('connecting');
    await client.close();
    await client.connect();
    await client.ensureTopics([this.options.config.checkpointTopic], this.options.config.createTopics);
    const inflight = this.outbox.inflight();
    if (inflight) {
      const committed = await client.isCommitted(inflight, IN_DOUBT_TIMEOUT_MS);
      if (committed) this.outbox.markDelivered(inflight.toSeq);
      else this.outbox.clearInflight();
      this.log.info({ ...inflight, committed }, committed ? 'in-doubt batch was committed: marked delivered' : 'in-doubt batch was not committed: resending');
    }
    this.connected = true;
  }

  /** Sends page after page in seq order; while one transaction is in flight the next page is read and built. */
  private async drain(): Promise<number> {
    let sent = 0;
    let batch = await this.prepare(this.outbox.deliveredSeq());
    try {
      while (batch) {
        const sending = this.send(batch);
        sending.catch(() => undefined);
        const next = this.prepare(batch.toSeq);
        next.catch(() => undefined);
        // Delivery first: delivered rows are purged when idle, unless a very long drain piles them up.
        if (this.outbox.deliveredSeq() - this.outbox.firstSeq() > this.purgeDuringDrainAbove) this.outbox.purge(this.batchMaxEvents);
        await sending;
        this.delivered(batch);
        sent += batch.rows.length;
        batch = await next;
        if (this.abort.signal.aborted) break;
      }
    } finally {
      this.sendingUpTo = 0;
    }
    return sent;
  }

  /** Purges delivered rows in small transactions, yielding in between, until none are left or work arrives. */
  private async purgeWhileIdle(): Promise<void> {
    while (!this.abort.signal.aborted && this.outbox.purge(PURGE_CHUNK) > 0) {
      await yieldToLoop();
      if (this.outbox.nextPage(this.outbox.deliveredSeq(), 1, Infinity).length > 0) return;
    }
  }

  /**
   * The next page, read and built in slices with a turn of the event loop in between, so the transaction
   * in flight is not held up (its requests and responses pass between slices). Rows read are protected
   * from compaction at once (sendingUpTo).
   */
  private async prepare(afterSeq: number): Promise<Batch | null> {
    const { config, gatewayId } = this.options;
    const rows: OutboxRecord[] = [];
    let bytes = 0;
    let after = afterSeq;
    await yieldToLoop();
    while (!this.abort.signal.aborted && rows.length < this.batchMaxEvents) {
      const want = Math.min(PREPARE_SLICE, this.batchMaxEvents - rows.length);
      const slice = this.outbox.nextPage(after, want, rows.length === 0 ? config.batchMaxBytes : config.batchMaxBytes - bytes);
      if (slice.length === 0 || (rows.length > 0 && bytes + slice[0]!.bytes > config.batchMaxBytes)) break;
      for (const r of slice) rows.push(r);
      for (const r of slice) bytes += r.bytes;
      after = slice[slice.length - 1]!.seq;
      this.sendingUpTo = Math.max(this.sendingUpTo, after);
      if (slice.length < want || bytes >= config.batchMaxBytes) break;
      await yieldToLoop();
    }
    if (rows.length === 0) return null;
    return prepareBatch(rows, { gatewayId, transactionalId: this.transactionalId, checkpointTopic: config.checkpointTopic, publishedAt: new Date(this.now()).toISOString() });
  }

  private async send(batch: Batch): Promise<void> {
    await this.client!.ensureTopics(batch.topics, this.options.config.createTopics);
    await this.client!.sendTransaction(batch.records, batch.checkpoint, async (position) => {
      this.outbox.setInflight({ fromSeq: batch.fromSeq, toSeq: batch.toSeq, correlationId: batch.correlationId, ...position });
      await this.options.hooks?.afterAppend?.(batch.rows);
    });
    await this.options.hooks?.afterCommit?.(batch.rows);
  }

  private delivered(batch: Batch): void {
    this.outbox.markDelivered(batch.toSeq);
    const at = this.now();
    for (const r of batch.rows) this.metrics.syncSent.inc({ topic: r.topic });
    this.metrics.syncBatches.inc();
    this.metrics.syncLastDelivery.set(at / 1000);
    this.current.sent += batch.rows.length;
    this.current.lastDelivery = { at, seq: batch.toSeq, events: batch.rows.length };
    this.current.deliveredSeq = batch.toSeq;
    this.succeeded();
  }

  private succeeded(): void {
    if (this.breaker.failures > 0) this.log.info({ afterFailures: this.breaker.failures }, 'uplink restored');
    this.breaker.onSuccess();
    this.setState('online');
  }

  private tick(): void {
    try {
      const stats = this.outbox.stats();
      this.current.backlog = stats;
      this.metrics.syncBacklogEvents.set(stats.events);
      this.metrics.syncBacklogBytes.set(stats.bytes);
      this.metrics.syncBacklogOldestAge.set(stats.oldestCreatedAt === null ? 0 : Math.max(0, (this.now() - stats.oldestCreatedAt) / 1000));
      this.metrics.syncBreakerState.set(BREAKER_STATE_VALUE[this.breaker.state]);
      if (stats.bytes > this.options.config.budget && !this.compacting) this.compacting = this.compact().finally(() => (this.compacting = null));
      this.writeStatus();
    } catch (err) {
      this.log.warn({ err }, 'sync housekeeping failed; will retry');
    }
  }

  private async compact(): Promise<void> {
    const { config, gatewayId } = this.options;
    try {
      const inflightTo = () => Math.max(this.sendingUpTo, this.outbox.inflight()?.toSeq ?? 0);
      const result = await compactOutbox(this.outbox.store, {
        gatewayId, budgetBytes: config.budget, lowWater: config.compaction.lowWater,
        rollupAfterMs: config.compaction.rollupAfter, rollupStepsMs: config.compaction.rollupSteps,
      }, inflightTo, this.now());
      for (const reason of Object.keys(result.dropped) as DropReason[]) {
        this.metrics.syncCompacted.inc({ reason }, result.dropped[reason]);
        this.current.compacted[reason] += result.dropped[reason];
      }
      this.metrics.syncGapEvents.inc(result.gapEvents);
      this.current.overBudget = result.overBudget;
      const log = result.overBudget ? this.log.warn.bind(this.log) : this.log.info.bind(this.log);
      log({ ...result, budgetBytes: config.budget }, result.overBudget
        ? 'outbox over budget with nothing left that may be dropped (alerts, gaps, in-flight batch)' : 'outbox compacted to its byte budget');
    } catch (err) {
      this.log.warn({ err: new GatewayError('STORE_FAILED', String(err)).message }, 'outbox compaction failed; will retry');
    }
  }

  private setState(state: UplinkState): void {
    if (this.current.state === state) return;
    this.current.state = state;
    this.writeStatus();
  }

  private writeStatus(): void {
    try {
      this.current.updatedAt = this.now();
      this.outbox.writeStatus(this.status());
    } catch (err) {
      this.log.debug({ err }, 'sync status not written');
    }
  }
}
