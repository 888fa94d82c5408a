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
 * - `auto`: on the event loop while that is cheap (1,000 readings/s from 1,000 sensors: p50 1.4 ms, max 5.6 ms);
 *   once two of the last 10 took longer than `inlineBudgetMs` (a high rate: at 8,000 msg/s p50 6.3, p90 15 ms; a
 *   slow disk), on a worker thread from then on.
 * - `background`: on the worker thread from the start. The thread has its own connection; a PASSIVE checkpoint never
 *   waits for the writer and the writer never waits for it. Cost: a second V8 isolate, ~5–6 MiB RSS.
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
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
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
/** `auto` judges by the latest 10 inline checkpoints: two over budget move them (one slow fsync does not). */
const INLINE_WINDOW = 10;
const OVER_BUDGET_TO_MOVE = 2;

export interface CheckpointerOptions {
  mode: 'auto' | 'background';
  intervalMs?: number;
  /** `auto`: an inline checkpoint longer than this, ms, is over budget. */
  inlineBudgetMs?: number;
}

export interface Checkpointer {
  /** Whether checkpoints run on the worker thread (from the start, or since `auto` moved them). */
  readonly onThread: boolean;
  stop(): Promise<void>;
}

export function startCheckpointer(store: Store, log: Logger, options: CheckpointerOptions): Checkpointer {
  const { intervalMs = 200, inlineBudgetMs = 8 } = options;
  let thread: ThreadCheckpoints | null = null;
  let timer: NodeJS.Timeout | null = null;
  const recent: number[] = [];
  let failures = 0;

  const inline = () => {
    if (!store.db.open || store.db.inTransaction) return;
    const started = performance.now();
    try {
      store.db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      if (++failures % 50 === 1) log.warn({ err: (err as Error).message, failures }, 'WAL checkpoint failed; will retry');
      return;
    }
    recent.push(performance.now() - started);
    if (recent.length > INLINE_WINDOW) recent.shift();
    const over = recent.filter((ms) => ms > inlineBudgetMs);
    if (over.length >= OVER_BUDGET_TO_MOVE) {
      log.info({ tookMs: over.map((ms) => Number(ms.toFixed(1))), budgetMs: inlineBudgetMs }, 'WAL checkpoints are slow on the event loop; moving them to a thread');
      toThread();
    }
  };
  const toThread = () => {
    if (timer) clearInterval(timer);
    timer = null;
    thread = new ThreadCheckpoints(store, log, intervalMs);
  };

  if (options.mode === 'background') toThread();
  else timer = setInterval(inline, intervalMs).unref();
  return {
    get onThread() {
      return thread !== null;
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await thread?.stop();
    },
  };
}

class ThreadCheckpoints {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopped = false;

  constructor(private readonly store: Store, private readonly log: Logger, intervalMs: number) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { file: store.db.name, driver, intervalMs },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    });
    this.worker.unref();
    store.db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    let failures = 0;
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error && ++failures % 50 === 1) log.warn({ err: m.error, failures }, 'background WAL checkpoint failed; will retry');
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
