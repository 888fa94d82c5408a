import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Store } from './store.js';

/**
 * WAL checkpoints on a thread of their own (docs/pipeline.md "Checkpoints").
 *
 * better-sqlite3 is synchronous: with SQLite's automatic checkpoint, the commit that crosses the WAL threshold
 * also copies the whole WAL (up to 16 MB here) into the database and fsyncs it, on the event loop: 100–450 ms in
 * which no publish is read and no PUBACK is written. Here a worker thread with its own connection runs PASSIVE
 * checkpoints every `intervalMs` (they never wait for the writer and the writer never waits for them); the
 * gateway's connection keeps an automatic checkpoint only as a safety net far above what the worker lets build up.
 * Cost: one small V8 isolate (~7 MB RSS). Measured: commit p99.9 93 → 19 ms, max 437 → 31 ms (50 readings per
 * commit, 1,000 keys, 8 ms apart).
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

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(store: Store, log: Logger, intervalMs = 200): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { file: store.db.name, driver, intervalMs },
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  worker.unref();
  store.db.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  let failures = 0;
  const inline = (why: string) => {
    if (!store.db.open) return;
    store.db.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`);
    log.warn({ why }, 'background checkpoints stopped; SQLite checkpoints on commit again');
  };
  worker.on('message', (m: { error?: string }) => {
    if (m.error && ++failures % 50 === 1) log.warn({ err: m.error, failures }, 'background WAL checkpoint failed; will retry');
  });
  worker.on('error', (err) => inline(err.message));
  let stopped = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => {
    if (!stopped) inline('the checkpoint thread exited');
    resolve();
  }));
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(timer);
      if (store.db.open) store.db.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`);
    },
  };
}
