import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Store } from './store.js';

/**
 * WAL checkpoints, small and often (docs/pipeline.md "Commits and checkpoints").
 *
 * better-sqlite3 is synchronous: with SQLite's automatic checkpoint, the commit that crosses the WAL threshold
 * also copies the whole WAL (up to 16 MB here) into the database and fsyncs it, on the event loop: 100–450 ms in
 * which no publish is read and no PUBACK is written. Here `PRAGMA wal_checkpoint(PASSIVE)` runs every
 * `intervalMs` instead, so each one copies only what the last interval wrote:
 * - `auto`: on the event loop while that is cheap (1,000 readings/s from 1,000 sensors: p50 0.8 ms, p99 5.7 ms);
 *   once more than half of the last 10 took longer than `inlineBudgetMs` (a high rate: at 8,000 msg/s p50 6.3, p90
 *   15 ms; a slow disk), on a worker thread, and back on the event loop once the thread's were cheap by the same
 *   rule for `calmCheckpoints` in a row (5 min): the thread's heap goes with it.
 * - `background`: on the worker thread from the start. The thread has its own connection; a PASSIVE checkpoint never
 *   waits for the writer and the writer never waits for it. Cost: a second V8 isolate, ~6–10 MiB RSS.
 * Either way the gateway's connection keeps an automatic checkpoint as a safety net far above what the interval
 * lets build up.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 100');
db.pragma('synchronous = FULL');
let running = true;
const loop = () => {
  if (!running) return;
  const started = performance.now();
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ms: performance.now() - started });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
  setTimeout(loop, workerData.intervalMs);
};
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  running = false;
  db.close();
  process.exit(0);
});
loop();
`;

/** The automatic checkpoint left on the gateway's connection while the worker runs (pages of 4 KiB: 40 MiB). */
const SAFETY_NET_PAGES = 10_000;
const INLINE_PAGES = 4_000;
/**
 * `auto` judges by the latest 10 inline checkpoints (2 s at 200 ms), from the 3rd on: more than half over budget move
 * them. A high rate or a slow disk makes most of them slow. At 1,000 readings/s one every 5 s took 4–10 ms and one
 * every 20 s 8–24 ms (the readings index's sweeps), and under "2 of the latest 10 over 8 ms" those started the
 * thread (~6 MiB RSS for good) within minutes (docs/pipeline.md "Commits and checkpoints").
 */
const INLINE_WINDOW = 10;
const JUDGED_FROM = 3;

/** Whether inline checkpoints have become too slow for the event loop (`auto`). */
export class InlineBudget {
  private readonly recent: number[] = [];

  constructor(private readonly budgetMs: () => number) {}

  /** Records one inline checkpoint's time, ms; true once more than half of the latest are over budget. */
  exceeded(ms: number): boolean {
    const recent = this.recent;
    recent.push(ms);
    if (recent.length > INLINE_WINDOW) recent.shift();
    if (recent.length < JUDGED_FROM) return false;
    const sorted = [...recent].sort((x, y) => x - y);
    return sorted[Math.ceil(sorted.length / 2) - 1] > this.budgetMs();
  }

  /** The over-budget times among the latest, ms (for the log line). */
  overBudgetMs(): number[] {
    const budgetMs = this.budgetMs();
    return this.recent.filter((ms) => ms > budgetMs).map((ms) => Number(ms.toFixed(1)));
  }
}

/** `auto`'s budget, ms, at least 4 and at most 12 (docs/pipeline.md "Commits and checkpoints"). */
const BUDGET_MIN_MS = 4;
const BUDGET_MAX_MS = 12;

/**
 * `auto`'s budget from the commit pacing: half the interval between commits. A checkpoint shorter than that mostly
 * delays readings that were waiting for the next commit anyway. At 1,000 readings/s (commits every 25 ms) 12 ms;
 * from ~3,000/s on 4 ms, where the typical inline checkpoint passes 4 ms long before it passes 12 (8,000 msg/s: p50
 * 6.3 ms).
 */
export function budgetForCommitInterval(commitIntervalMs: number): number {
  return Math.min(BUDGET_MAX_MS, Math.max(BUDGET_MIN_MS, commitIntervalMs / 2));
}

export interface CheckpointerOptions {
  mode: 'auto' | 'background';
  intervalMs?: number;
  /** `auto`: a checkpoint longer than this, ms, is over budget (read at every checkpoint; `budgetForCommitInterval`). */
  inlineBudgetMs?: number | (() => number);
  /** `auto`: back on the event loop once this many checkpoints in a row on the thread were judged cheap (5 min). */
  calmCheckpoints?: number;
}

export interface Checkpointer {
  /** Whether checkpoints run on the worker thread (from the start, or since `auto` moved them). */
  readonly onThread: boolean;
  stop(): Promise<void>;
}

export function startCheckpointer(store: Store, log: Logger, options: CheckpointerOptions): Checkpointer {
  const { intervalMs = 200, inlineBudgetMs = 4, calmCheckpoints = 1_500 } = options;
  const budgetMs = typeof inlineBudgetMs === 'number' ? () => inlineBudgetMs : inlineBudgetMs;
  let thread: ThreadCheckpoints | null = null;
  let timer: NodeJS.Timeout | null = null;
  let budget = new InlineBudget(budgetMs);
  let failures = 0;
  let stopped = false;
  let leaving: Promise<void> = Promise.resolve();

  const inline = () => {
    if (!store.db.open || store.db.inTransaction) return;
    const started = performance.now();
    try {
      store.db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      if (++failures % 50 === 1) log.warn({ err: (err as Error).message, failures }, 'WAL checkpoint failed; will retry');
      return;
    }
    if (budget.exceeded(performance.now() - started)) {
      log.info({ tookMs: budget.overBudgetMs(), budgetMs: budgetMs() }, 'WAL checkpoints are slow on the event loop; moving them to a thread');
      toThread();
    }
  };
  const toInline = () => {
    budget = new InlineBudget(budgetMs);
    timer = setInterval(inline, intervalMs).unref();
  };
  const toThread = () => {
    if (timer) clearInterval(timer);
    timer = null;
    if (options.mode === 'background') {
      thread = new ThreadCheckpoints(store, log, intervalMs, () => {});
      return;
    }
    // `auto`: the thread (a second V8 heap) only while checkpoints are slow: a disk stall or a burst passes
    const onThread = new InlineBudget(budgetMs);
    let calm = 0;
    thread = new ThreadCheckpoints(store, log, intervalMs, (ms) => {
      calm = onThread.exceeded(ms) ? 0 : calm + 1;
      if (calm === calmCheckpoints) void backInline();
    });
  };
  const backInline = async () => {
    leaving = thread?.stop() ?? Promise.resolve();
    await leaving;
    thread = null;
    if (stopped) return;
    log.info({ calmCheckpoints }, 'WAL checkpoints are cheap again; back on the event loop');
    toInline();
  };

  if (options.mode === 'background') toThread();
  else toInline();
  return {
    get onThread() {
      return thread !== null;
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await Promise.all([thread?.stop(), leaving]);
    },
  };
}

class ThreadCheckpoints {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopped = false;

  constructor(private readonly store: Store, private readonly log: Logger, intervalMs: number, onTime: (ms: number) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { file: store.db.name, driver, intervalMs },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker.unref();
    store.db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    let failures = 0;
    this.worker.on('message', (m: { ms?: number; error?: string }) => {
      if (m.ms !== undefined) onTime(m.ms);
      else if (m.error && ++failures % 50 === 1) log.warn({ err: m.error, failures }, 'background WAL checkpoint failed; will retry');
    });
    this.worker.on('error', (err) => this.inline(err.message));
    this.exited = new Promise<void>((resolve) => this.worker.once('exit', () => {
      if (!this.stopped) this.inline('the checkpoint thread exited');
      resolve();
    }));
  }

  private inline(why: string): void {
    if (!this.store.db.open) return;
    this.store.db.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`);
    this.log.warn({ why }, 'background checkpoints stopped; SQLite checkpoints on commit again');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), 2_000);
    await this.exited;
    clearTimeout(timer);
    if (this.store.db.open) this.store.db.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`);
  }
}
