import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../gateway/store/store.js';
import { WINDOW_MS, alertRow, cells, scoreBacklog, scoreRow, writeRows } from '../test/support/outbox.js';
import { compactOutbox, type CompactionPolicy } from './compaction.js';
import { backlogStats } from './outbox.js';

const GW = 'gw-compact';
const HOUR = 3_600_000;
const LAST_END = Date.UTC(2026, 0, 10, 12, 0);
const NOW = LAST_END + 60_000;
const stores: Array<{ store: Store; dir: string }> = [];

afterEach(() => {
  for (const { store, dir } of stores.splice(0)) {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Left { seq: number; kind: string; key: string; windowEnd: number | null; payload: string }

/** 10 cells × 2 contexts × 48 h of 5-min windows, 200 revised recent updates, 50 alerts spread in between. */
function filledStore() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-compact-'));
  const store = new Store(path.join(dir, 'gw.db'));
  stores.push({ store, dir });
  const cellList = cells(10);
  const rows = scoreBacklog(GW, cellList, ['CLIMATE', 'TRANSIT'], 576, LAST_END);
  const revised = rows.slice(-400).filter((_, i) => i % 2 === 0).map((r) => scoreRow(GW, JSON.parse(r.payload).h3_index, JSON.parse(r.payload).context, r.windowEnd!, 1));
  const all = [...rows, ...revised];
  for (let i = 0; i < 50; i++) all.splice(Math.floor((i * all.length) / 50), 0, alertRow(GW, i, LAST_END - i * 1000));
  writeRows(store, all);
  const perKey = countByKey(all.filter((r) => r.kind === 'ScoreUpdate').map((r) => r.key));
  return { store, perKey, revised: revised.length };
}

function countByKey(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

function left(store: Store): Left[] {
  return store.db.prepare('SELECT seq, kind, msg_key AS key, window_end AS windowEnd, payload FROM outbox ORDER BY seq').all() as Left[];
}

/** Every dropped score update is in exactly one Gap event's per-key counts. */
function expectAccounted(perKey: Record<string, number>, rows: Left[]): void {
  const remaining = countByKey(rows.filter((r) => r.kind === 'ScoreUpdate').map((r) => r.key));
  const gapped: Record<string, number> = {};
  for (const g of rows.filter((r) => r.kind === 'Gap')) {
    for (const [k, n] of Object.entries(JSON.parse(g.payload).keys as Record<string, number>)) gapped[k] = (gapped[k] ?? 0) + n;
  }
  for (const key of Object.keys(perKey)) expect((remaining[key] ?? 0) + (gapped[key] ?? 0), key).toBe(perKey[key]);
}

const policy = (budgetBytes: number): CompactionPolicy => ({ gatewayId: GW, budgetBytes, lowWater: 0.9, rollupAfterMs: 6 * HOUR, rollupStepsMs: [HOUR, 6 * HOUR, 24 * HOUR] });

describe('compactOutbox', () => {
  it('drops superseded updates, then rolls old windows up to one per key per hour, and accounts for every drop', async () => {
    const { store, perKey, revised } = filledStore();
    const budget = 2_500_000;
    const result = await compactOutbox(store, policy(budget), () => 0, NOW);
    expect(result.bytesBefore).toBeGreaterThan(budget);
    expect(result.dropped.superseded).toBe(revised);
    expect(result.dropped.rolled_up).toBeGreaterThan(0);
    expect(result.dropped.evicted).toBe(0);
    expect(backlogStats(store.db).bytes).toBeLessThanOrEqual(budget * 0.9);
    const rows = left(store);
    expect(rows.filter((r) => r.kind === 'ThresholdAlert')).toHaveLength(50);
    const recent = rows.filter((r) => r.kind === 'ScoreUpdate' && r.windowEnd! > NOW - 6 * HOUR);
    expect(recent).toHaveLength(72 * 20);
    // The oldest 6 h were rolled up: per key, one update per hour, the hour's last window.
    const oldest = rows.filter((r) => r.kind === 'ScoreUpdate' && r.windowEnd! <= LAST_END - 42 * HOUR);
    expect(oldest.length).toBeGreaterThan(0);
    expect(oldest.every((r) => r.windowEnd! % HOUR === 0)).toBe(true);
    expect(new Set(oldest.map((r) => `${r.key}|${r.windowEnd}`)).size).toBe(oldest.length);
    const gaps = rows.filter((r) => r.kind === 'Gap').map((r) => JSON.parse(r.payload));
    expect(new Set(gaps.map((g) => g.reason))).toEqual(new Set(['superseded', 'rolled_up']));
    expect(gaps.reduce((n, g) => n + g.dropped, 0)).toBe(result.dropped.superseded + result.dropped.rolled_up);
    expect(gaps.find((g) => g.reason === 'rolled_up')).toMatchObject({ schema: 'ucid.gap.v1', gateway_id: GW, rollup_step_s: 3600, kinds: { ScoreUpdate: expect.any(Number) } });
    expectAccounted(perKey, rows);
  });

  it('under a tiny budget evicts oldest updates but never alerts, and stays within budget', async () => {
    const { store, perKey } = filledStore();
    const budget = 300_000;
    const result = await compactOutbox(store, policy(budget), () => 0, NOW);
    expect(result.dropped.evicted).toBeGreaterThan(0);
    expect(result.overBudget).toBe(false);
    expect(backlogStats(store.db).bytes).toBeLessThanOrEqual(budget);
    const rows = left(store);
    expect(rows.filter((r) => r.kind === 'ThresholdAlert')).toHaveLength(50);
    const kept = rows.filter((r) => r.kind === 'ScoreUpdate');
    expect(Math.min(...kept.map((r) => r.windowEnd!))).toBeGreaterThan(LAST_END - 6 * HOUR);
    expectAccounted(perKey, rows);
    const stats = store.db.prepare('SELECT events, bytes FROM outbox_stats').get() as { events: number; bytes: number };
    const actual = store.db.prepare('SELECT count(*) AS events, sum(bytes) AS bytes FROM outbox').get();
    expect(stats).toEqual(actual);
  });

  it('never touches rows up to the protected (in-flight) seq', async () => {
    const { store } = filledStore();
    const protectedSeq = 3_000;
    const before = left(store).filter((r) => r.seq <= protectedSeq).map((r) => r.seq);
    await compactOutbox(store, policy(300_000), () => protectedSeq, NOW);
    expect(left(store).filter((r) => r.seq <= protectedSeq).map((r) => r.seq)).toEqual(before);
  });

  it('keeps each Gap event to at most 1,000 keys', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-compact-'));
    const store = new Store(path.join(dir, 'gw.db'));
    stores.push({ store, dir });
    const rows = scoreBacklog(GW, cells(1300), ['CLIMATE', 'TRANSIT'], 2, LAST_END);
    writeRows(store, rows);
    const result = await compactOutbox(store, policy(100_000), () => 0, NOW);
    const gaps = left(store).filter((r) => r.kind === 'Gap').map((r) => JSON.parse(r.payload) as { keys: Record<string, number>; dropped: number });
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...gaps.map((g) => Object.keys(g.keys).length))).toBeLessThanOrEqual(1_000);
    expect(gaps.reduce((n, g) => n + g.dropped, 0)).toBe(result.dropped.evicted);
    expectAccounted(countByKey(rows.map((r) => r.key)), left(store));
  });

  it('does nothing within budget', async () => {
    const { store } = filledStore();
    const events = backlogStats(store.db).events;
    const result = await compactOutbox(store, policy(1 << 30), () => 0, NOW);
    expect(result).toMatchObject({ gapEvents: 0, dropped: { superseded: 0, rolled_up: 0, evicted: 0 } });
    expect(backlogStats(store.db).events).toBe(events);
    expect(WINDOW_MS).toBe(300_000);
  });
});
