import type { Logger } from 'pino';
import type { RejectedInput, SubmitOptions } from '../../drivers/driver.js';
import { GatewayError, errorMessage } from '../errors.js';
import type { GatewayBus } from '../bus.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Reading } from '../reading.js';
import { classifyStoreError } from '../store/database.js';
import type { StoreSpace } from '../store/space.js';
import type { Store, WindowRow } from '../store/store.js';
import { SnapshotRejected, WindowEngine, decodeSnapshot, encodeSnapshot, maxWindowMs, replayStartMs, type WindowSpec } from '../windows/index.js';
import type { AlertStage } from '../alerts/alert-stage.js';
import type { AlertEvent } from '../store/alert-store.js';
import type { ScoreStage, ScoreUpdate } from './score-stage.js';
import type { SensorDirectory } from './sensor-directory.js';
import type { ReadingValidator } from './validate.js';
import { SpaceGate } from './space-gate.js';
import { SampledLog } from '../sampled-log.js';
import { CommitPacing, type CommitPacingOptions } from './commit-pacing.js';

export interface PipelineOptions extends CommitPacingOptions {
  gatewayId: string;
  unknownSensors: 'accept' | 'quarantine';
  maxBatchReadings: number;
  maxPendingReadings: number;
  quarantineMaxRows: number;
  specFor(metric: string): WindowSpec;
  /** Every distinct spec in use (defaults and per-metric overrides): they bound how far back a rebuild replays. */
  specs: readonly WindowSpec[];
  /** The disk-full policy (docs/pipeline.md "Disk full"); without it a full disk only fails commits. */
  space?: StoreSpace;
}

/** What every input waiting for the next commit waits on: one promise a commit, not one a call. */
interface NextCommit {
  readonly done: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

const SETTLED = Promise.resolve();

const REPLAY_PAGE_READINGS = 5_000;
/** Sliding windows only feed the dashboard live: a replay neither stores nor publishes them. */
const REPLAY = Object.freeze({ replay: true, skipSliding: true });

/**
 * DESIGN §1.2: parse (drivers) → validate → enrich → persist → windows → scores → events.
 * Work is group-committed: one SQLite transaction per batch, and `submit` resolves only after it.
 */
export class Pipeline {
  private pendingAccepted: Reading[] = [];
  private pendingRejected: RejectedInput[] = [];
  private nextCommit: NextCommit | null = null;
  private pendingReadings = 0;
  private flushScheduled: { lingering: boolean; dueAt: number; cancel(): void } | null = null;
  private engine: WindowEngine;
  private stopping = false;
  private flushing = false;
  private readonly knownKeys = new Set<string>();
  /** A rebuild after a failed commit failed too: the engine is half replayed, so nothing commits until one succeeds. */
  private needsRebuild = false;
  private readonly stageByName = new Map<string, ReturnType<GatewayMetrics['stageSeconds']['labels']>>();
  private readonly latencyBySource = new Map<string, ReturnType<GatewayMetrics['latency']['labels']>>();
  private readonly spaceGate: SpaceGate | null;
  private readonly arrivalReaders: Array<(hasRoom: () => boolean) => void> = [];
  private readonly rejections: SampledLog;
  private readonly pacing: CommitPacing;

  constructor(
    private readonly store: Store,
    private readonly validator: ReadingValidator,
    private readonly directory: SensorDirectory,
    private readonly scores: ScoreStage,
    private readonly alerts: AlertStage,
    private readonly bus: GatewayBus,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    private readonly options: PipelineOptions,
  ) {
    this.engine = new WindowEngine({ specFor: options.specFor });
    this.spaceGate = options.space ? new SpaceGate(options.space, options.specs, metrics, log) : null;
    this.rejections = new SampledLog(log);
    this.pacing = new CommitPacing(options);
  }

  /** The interval between commit starts at the current arrival rate, ms (store.minCommitInterval at most). */
  commitIntervalMs(): number {
    return this.pacing.intervalMs();
  }

  submit(readings: readonly Reading[], options: SubmitOptions = {}): Promise<void> {
    if (this.stopping) return Promise.reject(new GatewayError('GATEWAY_STOPPING'));
    const now = Date.now();
    const full = this.spaceGate?.roomFor(now) === 'full';
    if (options.sheddable && (full || this.pendingReadings >= this.options.maxPendingReadings)) {
      for (const r of readings) this.metrics.messages.inc({ source: r.source, status: 'shed' });
      return SETTLED;
    }
    if (full) {
      for (const r of readings) this.metrics.messages.inc({ source: r.source, status: 'refused' });
      return Promise.reject(this.spaceGate!.fullError());
    }
    for (const candidate of readings) {
      const checked = this.validator.validate(candidate, now);
      const reason = checked.ok ? this.enrichProblem(checked.reading) : checked.reason;
      if (reason === null && checked.ok) {
        this.pendingAccepted.push(checked.reading);
        continue;
      }
      const r: RejectedInput = { source: candidate.source, reason: reason!, origin: `${candidate.sensorId}/${candidate.metric}`, payload: JSON.stringify(candidate) };
      this.metrics.messages.inc({ source: r.source, status: 'rejected' });
      this.rejections.warn(`${r.source} ${r.origin}`, { source: r.source, origin: r.origin, reason: r.reason }, 'reading rejected');
      this.pendingRejected.push(r);
    }
    return this.enqueued(readings.length);
  }

  /**
   * Before each scheduled commit `read` hands over input that waits on this commit to be read (the broker's),
   * while `hasRoom`: the batch stays within store.maxBatchReadings.
   */
  beforeCommit(read: (hasRoom: () => boolean) => void): void {
    this.arrivalReaders.push(read);
  }

  reject(input: RejectedInput): Promise<void> {
    if (this.stopping) return Promise.reject(new GatewayError('GATEWAY_STOPPING'));
    if (this.spaceGate?.roomFor(Date.now()) === 'full') return Promise.reject(this.spaceGate.fullError());
    this.pendingRejected.push(input);
    return this.enqueued(1);
  }

  /** Closes windows of silent sensors (wall-clock idle advance) and commits what that emits. */
  tick(nowMs = Date.now()): void {
    if (this.stopping) return;
    this.spaceGate?.exportRoom(nowMs);
    if (this.needsRebuild && !this.retryRebuild(nowMs)) return;
    const results = this.engine.tick(nowMs);
    try {
      const { scores, alerts } = this.store.transaction(() => {
        const derived = this.persistDerived(results, nowMs, () => `${this.options.gatewayId}/t${nowMs}`);
        return { scores: derived.scores, alerts: [...this.alerts.onTick(nowMs), ...derived.alerts] };
      });
      this.publish([], results, scores, alerts);
    } catch (err) {
      const error = classifyStoreError(err);
      this.log.error({ err, code: error.code }, 'committing closed windows and alerts failed; rebuilding from the store');
      if (error.code === 'STORE_FULL') this.spaceGate?.onStoreFull(nowMs);
      this.alerts.reload();
      this.rebuildQuietly(nowMs);
    }
  }

  /**
   * Start-up: the window engine saved by a clean shutdown when it still describes the store (no reading
   * since, same window specs, intact), else a replay of the stored readings. Either way the snapshot is gone.
   */
  restoreOrRebuild(nowMs = Date.now()): { from: 'snapshot' | 'replay'; readings: number; windows: number; snapshotRejected?: string } {
    const saved = this.store.takeWindowSnapshot();
    let snapshotRejected: string | undefined;
    if (saved) {
      try {
        const { engine, meta } = decodeSnapshot(saved, this.options.specFor);
        const lastReadingId = this.store.readingIdRange().max;
        if (meta.lastReadingId !== lastReadingId) throw new SnapshotRejected(`readings changed since it was saved (last id ${meta.lastReadingId}, now ${lastReadingId})`);
        this.engine = engine;
        this.loadKnownKeys();
        return { from: 'snapshot', readings: 0, windows: 0 };
      } catch (err) {
        snapshotRejected = errorMessage(err);
      }
    }
    return { from: 'replay', ...this.rebuild(nowMs), ...(snapshotRejected ? { snapshotRejected } : {}) };
  }

  /** DESIGN §4: open windows are rebuilt from stored readings, replayed in arrival order. */
  rebuild(nowMs = Date.now()): { readings: number; windows: number } {
    const replayFromMs = replayStartMs(nowMs, this.options.specs);
    this.engine = new WindowEngine({ specFor: this.options.specFor, replayFromMs });
    this.needsRebuild = true; // until the replay is through: a half-replayed engine is neither used nor saved
    let id = this.store.firstReadingIdReceivedSince(replayFromMs);
    let readings = 0;
    let windows = 0;
    for (const { sensorId, metric } of this.loadKnownKeys()) this.seedKey(sensorId, metric, replayFromMs, id);
    for (let page = this.store.readingsPage(id, REPLAY_PAGE_READINGS); page.length; page = this.store.readingsPage(id, REPLAY_PAGE_READINGS)) {
      const results: WindowRow[] = [];
      const correlations = new Map<WindowRow, string>();
      for (const reading of page) {
        for (const result of this.engine.add(reading, REPLAY).results) {
          results.push(result);
          correlations.set(result, `${this.options.gatewayId}/r${reading.id}`);
        }
      }
      this.store.transaction(() => this.persistDerived(results, nowMs, (w) => correlations.get(w)!, { replay: true }));
      readings += page.length;
      windows += results.length;
      id = page[page.length - 1]!.id + 1;
    }
    this.needsRebuild = false;
    return { readings, windows };
  }

  /**
   * Each key's newest reading before the replay seeds its watermark, so a backlog that arrives after the
   * restart for a key that was quiet at the cutoff is still judged late or on time as it would have been.
   * A key whose readings end too soon after the cutoff for the replay to close its windows gets every
   * reading those windows can hold, so the ticks after the start emit them whole, not as the seed alone.
   */
  private seedKey(sensorId: string, metric: string, replayFromMs: number, firstReplayedId: number): void {
    const seed = this.store.latestReadingBefore(sensorId, metric, replayFromMs);
    if (!seed || seed.id >= firstReplayedId) return;
    const spec = this.options.specFor(metric);
    const reachMs = maxWindowMs(spec) + spec.allowedLatenessMs;
    if ((this.store.newestReadingTs(sensorId, metric) ?? -Infinity) >= replayFromMs + reachMs) {
      this.engine.add(seed, REPLAY);
      return;
    }
    for (const r of this.store.keyReadingsBefore(sensorId, metric, seed.ts - reachMs, replayFromMs, firstReplayedId)) this.engine.add(r, REPLAY);
  }

  get pendingCount(): number {
    return this.pendingReadings;
  }

  /** Stops taking input, commits everything already accepted and saves the window engine for the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.rejections.stop();
    this.flush();
    if (this.needsRebuild) return;
    try {
      this.store.transaction(() => {
        const lastReadingId = this.store.readingIdRange().max;
        this.store.saveWindowSnapshot(encodeSnapshot(this.engine, { lastReadingId }));
      });
    } catch (err) {
      this.log.warn({ err }, 'saving the window snapshot failed; the next start replays stored readings');
    }
  }

  private loadKnownKeys(): Array<{ sensorId: string; metric: string }> {
    const keys = this.store.readingKeys();
    this.knownKeys.clear();
    for (const { sensorId, metric } of keys) this.knownKeys.add(`${sensorId}\u0000${metric}`);
    return keys;
  }

  private stageOf(stage: string) {
    let child = this.stageByName.get(stage);
    if (!child) {
      child = this.metrics.stageSeconds.labels({ stage });
      this.stageByName.set(stage, child);
    }
    return child;
  }

  /** A label lookup builds a key on every call: keep each source's histogram child. */
  private latencyOf(source: string) {
    let child = this.latencyBySource.get(source);
    if (!child) {
      child = this.metrics.latency.labels({ source });
      this.latencyBySource.set(source, child);
    }
    return child;
  }

  private rememberKey(reading: Reading): void {
    const key = `${reading.sensorId}\u0000${reading.metric}`;
    if (this.knownKeys.has(key)) return;
    this.store.insertReadingKey(reading.sensorId, reading.metric);
    this.knownKeys.add(key);
  }

  private readonly hasRoom = (): boolean => this.pendingReadings < this.options.maxBatchReadings;

  private enrichProblem(reading: Reading): string | null {
    if (this.options.unknownSensors === 'accept' || this.directory.lookup(reading.sensorId)) return null;
    return `sensor "${reading.sensorId}" is not in the registry (ingest.unknownSensors: quarantine)`;
  }

  /** `inputs` were just added to pendingAccepted/pendingRejected: the promise of the commit that takes them. */
  private enqueued(inputs: number): Promise<void> {
    const next = (this.nextCommit ??= deferred());
    this.pendingReadings += inputs;
    this.pacing.arrived(inputs);
    this.metrics.pendingReadings.set(this.pendingReadings);
    // at the cap, commit now rather than after the poll phase: a burst read in one turn otherwise made one
    // batch of 700–1,700 readings, 10–46 ms commits, stalls of 30–140 ms (docs/benchmarks.md "Latency")
    if (!this.hasRoom()) this.flush();
    else if (!this.flushScheduled) this.scheduleFlush(this.pacing.delayMs(this.pendingReadings));
    else if (this.flushScheduled.lingering) {
      // readings waiting or a rising rate can bring the commit forward, by a millisecond or more
      const now = performance.now();
      const delayMs = this.pacing.delayMs(this.pendingReadings, now);
      if (now + delayMs <= this.flushScheduled.dueAt - 1) this.scheduleFlush(delayMs, now);
    }
    return next.done;
  }

  /**
   * With no delay the flush runs once the event loop has handled every I/O event already waiting, so a
   * batch holds all that arrived during the previous commit's fsync: batches grow with load, not latency.
   * `lingering`: the delay is store.minCommitInterval's, which enough waiting readings cut short.
   */
  private scheduleFlush(delayMs: number, now = performance.now()): void {
    this.flushScheduled?.cancel();
    const lingering = delayMs > this.options.groupCommitDelayMs;
    const dueAt = now + Math.max(0, delayMs);
    if (delayMs <= 0) {
      const immediate = setImmediate(() => this.flush(true));
      this.flushScheduled = { lingering, dueAt, cancel: () => clearImmediate(immediate) };
    } else {
      const timer = setTimeout(() => this.flush(true), delayMs);
      this.flushScheduled = { lingering, dueAt, cancel: () => clearTimeout(timer) };
    }
  }

  /**
   * Inside a commit (a bus listener reaching back into ingest) it comes straight after, not nested.
   * `readArrivals` only from a timer: the cap's flush runs inside a client's packet parser.
   */
  private flush(readArrivals = false): void {
    if (this.flushing || this.store.db.inTransaction) return this.scheduleFlush(0);
    this.flushing = true;
    try {
      if (readArrivals && !this.stopping) for (const read of this.arrivalReaders) read(this.hasRoom);
      this.commitPending();
    } finally {
      this.flushing = false;
    }
  }

  private commitPending(): void {
    this.flushScheduled?.cancel();
    this.flushScheduled = null;
    this.pacing.commitStarted();
    const next = this.nextCommit;
    const accepted = this.pendingAccepted;
    const rejected = this.pendingRejected;
    this.nextCommit = null;
    this.pendingAccepted = [];
    this.pendingRejected = [];
    this.pendingReadings = 0;
    this.metrics.pendingReadings.set(0);
    if (!next) return;

    const now = Date.now();
    if (this.needsRebuild && !this.retryRebuild(now)) {
      next.reject(new GatewayError('STORE_FAILED', 'windows could not be rebuilt after a failed commit; retrying'));
      return;
    }
    const committed: Reading[] = [];
    const windows: WindowRow[] = [];
    let scores: ScoreUpdate[] = [];
    let alerts: AlertEvent[] = [];
    let quarantined = 0;
    const correlations = new Map<WindowRow, string>();
    const endTimer = this.metrics.commitSeconds.startTimer();
    const started = performance.now();
    try {
      ({ scores, alerts } = this.store.transaction(() => {
        for (const input of rejected) this.store.insertQuarantine(input, now);
        quarantined += rejected.length;
        for (const reading of accepted) {
          this.rememberKey(reading);
          const outcome = this.engine.add(reading);
          const rowId = this.store.insertReading(reading, outcome.status);
          committed.push(reading);
          if (outcome.status !== 'on_time') this.metrics.messages.inc({ source: reading.source, status: outcome.status });
          for (const result of outcome.results) {
            windows.push(result);
            correlations.set(result, `${this.options.gatewayId}/r${rowId}`);
          }
        }
        if (quarantined) this.store.trimQuarantine(this.options.quarantineMaxRows);
        const persisted = performance.now();
        const readingAlerts = this.alerts.onReadings(committed);
        const derived = this.persistDerived(windows, now, (w) => correlations.get(w)!);
        const derivedAt = performance.now();
        this.stageOf('persist+windows').observe((persisted - started) / 1000);
        this.stageOf('scores+alerts').observe((derivedAt - persisted) / 1000);
        return { scores: derived.scores, alerts: [...readingAlerts, ...derived.alerts] };
      }));
    } catch (err) {
      endTimer();
      const error = classifyStoreError(err);
      this.log.error({ err, code: error.code, readings: committed.length }, 'commit failed; inputs refused and windows rebuilt');
      for (const r of accepted) this.metrics.messages.inc({ source: r.source, status: 'failed' });
      next.reject(error);
      if (error.code === 'STORE_FULL') this.spaceGate?.onStoreFull(now);
      this.alerts.reload();
      this.rebuildQuietly(now);
      return;
    }
    endTimer();
    this.metrics.commitBatchReadings.observe(committed.length);
    const committedAt = Date.now();
    const acceptedBySource = new Map<string, number>();
    for (const r of committed) {
      acceptedBySource.set(r.source, (acceptedBySource.get(r.source) ?? 0) + 1);
      this.latencyOf(r.source).observe((committedAt - r.receivedAt) / 1000);
    }
    for (const [source, n] of acceptedBySource) this.metrics.messages.inc({ source, status: 'accepted' }, n);
    for (const input of rejected) this.metrics.quarantined.inc({ source: input.source });
    next.resolve();
    this.publish(committed, windows, scores, alerts);
  }

  /** Window rows, the scores they change and the score alerts those raise; on replay, alerts are left alone. */
  private persistDerived(
    results: readonly WindowRow[], nowMs: number, correlationOf: (w: WindowRow) => string, options: { replay?: boolean } = {},
  ): { scores: ScoreUpdate[]; alerts: AlertEvent[] } {
    const tumbling: WindowRow[] = [];
    for (const w of results) {
      if (w.kind === 'sliding' || (options.replay && this.store.hasWindow(w))) continue;
      this.store.upsertWindow(w, correlationOf(w));
      if (w.kind === 'tumbling') tumbling.push(w);
    }
    const scores = tumbling.length ? this.scores.onTumblingWindows(tumbling, nowMs, correlationOf) : [];
    for (const s of scores) this.log.debug({ correlationId: s.correlationId, ucid: s.ucid, score: s.score, revision: s.revision }, 'score update');
    return { scores, alerts: scores.length && !options.replay ? this.alerts.onScores(scores) : [] };
  }

  private publish(readings: readonly Reading[], windows: readonly WindowRow[], scores: readonly ScoreUpdate[], alerts: readonly AlertEvent[]): void {
    for (const w of windows) this.metrics.windowsClosed.inc({ kind: w.kind, revised: w.revision > 0 ? 'yes' : 'no' });
    for (const s of scores) this.metrics.scoreUpdates.inc({ context: s.context });
    if (readings.length) this.bus.emit('readings', readings);
    if (windows.length) this.bus.emit('windows', windows);
    if (scores.length) this.bus.emit('scores', scores);
    for (const a of alerts) this.metrics.alerts.inc({ kind: a.kind, level: a.level, state: a.state });
    if (alerts.length) this.bus.emit('alerts', alerts);
  }

  private rebuildQuietly(nowMs: number): void {
    try {
      this.rebuild(nowMs);
      this.needsRebuild = false;
    } catch (err) {
      this.needsRebuild = true;
      this.log.error({ err }, 'rebuilding windows failed; will retry before the next commit');
    }
  }

  private retryRebuild(nowMs: number): boolean {
    this.rebuildQuietly(nowMs);
    if (!this.needsRebuild) this.log.info('windows rebuilt after a failed commit');
    return !this.needsRebuild;
  }
}

function deferred(): NextCommit {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { done, resolve, reject };
}
