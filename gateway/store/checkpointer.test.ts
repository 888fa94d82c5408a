import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { budgetForCommitInterval, InlineBudget, startCheckpointer, type Checkpointer } from './checkpointer.js';
import { Store } from './store.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freshStore() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-ckpt-'));
  const file = path.join(dir, 'gateway.db');
  const store = new Store(file);
  store.db.exec('CREATE TABLE scratch (b BLOB)');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => store.close());
  return { store, file };
}

/** ~1 MiB into the WAL (SQLite's own automatic checkpoint is at 4,000 pages, so it alone would not copy it). */
function write(store: Store) {
  const insert = store.db.prepare('INSERT INTO scratch (b) VALUES (?)');
  store.transaction(() => {
    for (let i = 0; i < 256; i++) insert.run(Buffer.alloc(4000, i));
  });
}

function start(store: Store, options: Parameters<typeof startCheckpointer>[2]): Checkpointer {
  const checkpointer = startCheckpointer(store, log, options);
  cleanups.push(() => checkpointer.stop());
  return checkpointer;
}

async function until(what: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!what() && Date.now() < deadline) await sleep(20);
  return what();
}

describe('WAL checkpoints (store.checkpoints)', () => {
  it('auto: copies the WAL into the database on the event loop while checkpoints are cheap, with no thread', async () => {
    const { store, file } = freshStore();
    const checkpointer = start(store, { mode: 'auto', intervalMs: 20, inlineBudgetMs: 1_000 });
    const before = statSync(file).size;
    write(store);
    expect(statSync(file).size).toBe(before);
    expect(await until(() => statSync(file).size > before + 1_000_000)).toBe(true);
    await sleep(300);
    expect(checkpointer.onThread).toBe(false);
  });

  it('auto: moves checkpoints to a thread once they pass the budget, and the thread keeps copying', async () => {
    const { store, file } = freshStore();
    const checkpointer = start(store, { mode: 'auto', intervalMs: 20, inlineBudgetMs: -1 });
    expect(checkpointer.onThread).toBe(false);
    expect(await until(() => checkpointer.onThread)).toBe(true);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
    const before = statSync(file).size;
    write(store);
    expect(await until(() => statSync(file).size > before + 1_000_000)).toBe(true);
    await checkpointer.stop();
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(4_000);
  });

  it('auto: back on the event loop once the thread\'s checkpoints were cheap for calmCheckpoints in a row', async () => {
    const { store, file } = freshStore();
    let budgetMs = -1;
    const checkpointer = start(store, { mode: 'auto', intervalMs: 20, inlineBudgetMs: () => budgetMs, calmCheckpoints: 10 });
    expect(await until(() => checkpointer.onThread)).toBe(true);
    budgetMs = 1_000;
    expect(await until(() => !checkpointer.onThread)).toBe(true);
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(4_000);
    const before = statSync(file).size;
    write(store);
    expect(await until(() => statSync(file).size > before + 1_000_000)).toBe(true);
    budgetMs = -1;
    expect(await until(() => checkpointer.onThread)).toBe(true);
  });

  it('background: on the thread from the start', async () => {
    const { store, file } = freshStore();
    const checkpointer = start(store, { mode: 'background', intervalMs: 20 });
    expect(checkpointer.onThread).toBe(true);
    const before = statSync(file).size;
    write(store);
    expect(await until(() => statSync(file).size > before + 1_000_000)).toBe(true);
  });

  it('stopped: no checkpoint copies the WAL any more', async () => {
    const { store, file } = freshStore();
    const checkpointer = start(store, { mode: 'auto', intervalMs: 20, inlineBudgetMs: 1_000 });
    await checkpointer.stop();
    const before = statSync(file).size;
    write(store);
    await sleep(200);
    expect(statSync(file).size).toBe(before);
  });

  it("auto's budget: slow checkpoints now and then keep them inline; more than half of the latest 10 over budget move them", () => {
    const timesOf = (slowEvery: number) => Array.from({ length: 1_000 }, (_, i) => (i % slowEvery === 0 ? 30 : 1));
    const movedAt = (times: number[]) => {
      const budget = new InlineBudget(() => 4);
      return times.findIndex((ms) => budget.exceeded(ms));
    };
    expect(movedAt(timesOf(3))).toBe(-1);
    expect(movedAt([1, 1, 1, 1, 1, 30, 30, 1, 30, 1, 1, 1, 30, 1, 1])).toBe(-1);
    expect(movedAt(timesOf(2))).toBe(2);
    expect(movedAt(Array(100).fill(5))).toBe(2);
    expect(movedAt(Array(100).fill(4))).toBe(-1);
    expect(movedAt([...Array(20).fill(1), ...Array(100).fill(6)])).toBe(25);
    const budget = new InlineBudget(() => 8);
    [20, 1, 3, 12.345].forEach((ms) => budget.exceeded(ms));
    expect(budget.overBudgetMs()).toEqual([20, 12.3]);
  });

  it("auto's budget follows the commit pacing: half the interval between commits, 4 to 12 ms", () => {
    expect(budgetForCommitInterval(25)).toBe(12); // 1,000 readings/s: commits every 25 ms
    expect(budgetForCommitInterval(12.5)).toBe(6.25); // 2,000/s
    expect(budgetForCommitInterval(2.5)).toBe(4); // 10,000/s
    expect(budgetForCommitInterval(0)).toBe(4); // idle with store.minCommitInterval 0
    expect(budgetForCommitInterval(1_000)).toBe(12);
    // 1,000 readings/s, 31.5 min into the 40-minute run (docs/benchmarks.md): the six over 4 ms that the log line
    // gave, and four at most 4 ms, moved them at 4 ms
    const times = [4.5, 3.9, 5.5, 4.3, 3.9, 4.9, 4.04, 3.9, 3.9, 6.3];
    const judged = (budgetMs: number) => {
      const budget = new InlineBudget(() => budgetMs);
      return times.some((ms) => budget.exceeded(ms));
    };
    expect(judged(4)).toBe(true);
    expect(judged(budgetForCommitInterval(25))).toBe(false);
  });
});
