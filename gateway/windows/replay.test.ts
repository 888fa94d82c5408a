import { describe, expect, it } from 'vitest';
import type { Reading } from '../reading.js';
import { WindowEngine } from './engine.js';
import { encodeSnapshot } from './snapshot.js';
import { DEFAULT_WINDOW_SPEC, replayStartMs, type WindowSpec } from './spec.js';
import { MIN, T0, reading, resultId, rng } from './test-support.js';
import type { AddStatus, WindowResult } from './types.js';

type Event = { reading: Reading } | { tickMs: number };

interface Output {
  statuses: AddStatus[];
  results: WindowResult[];
}

const TEMPERATURE: WindowSpec = { ...DEFAULT_WINDOW_SPEC, tumblingMs: 10 * MIN, revisionHorizonMs: 30 * MIN };
const SPECS = [DEFAULT_WINDOW_SPEC, TEMPERATURE];
const specFor = (metric: string): WindowSpec => (metric === 'temperature' ? TEMPERATURE : DEFAULT_WINDOW_SPEC);
const HOURS = 5;

/**
 * Five hours of three sensors in arrival order, with a tick every 7 s of wall clock: jittered network delay
 * (arrival order differs from event order), a sensor reporting every 5 min, one that goes silent for 40 min
 * and then flushes its backlog, rare readings delayed by up to 90 min, and some bad or uncertain readings.
 */
function stream(seed: number): Event[] {
  const next = rng(seed);
  const readings: Reading[] = [];
  const push = (sensorId: string, metric: string, ts: number, delayMs: number): void => {
    const q = next();
    const quality = q < 0.03 ? 'bad' : q < 0.08 ? 'uncertain' : 'good';
    const value = Math.round((20 + 10 * Math.sin(ts / 3_600_000) + next() * 5) * 100) / 100;
    readings.push(reading(ts, value, { sensorId, metric, quality, receivedAt: ts + delayMs }));
  };
  for (let ts = T0 + 1_234; ts < T0 + HOURS * 60 * MIN; ts += 5_000) {
    const veryLate = next() < 0.01;
    push('s1', 'pm25', ts, veryLate ? 5 * MIN + Math.floor(next() * 85 * MIN) : 100 + Math.floor(next() * 8_000));
  }
  for (let ts = T0 + 17_000; ts < T0 + HOURS * 60 * MIN; ts += 5 * MIN) {
    push('s2', 'temperature', ts, 500 + Math.floor(next() * 1_500));
  }
  const silentFrom = T0 + 70 * MIN;
  const silentTo = T0 + 110 * MIN;
  for (let ts = T0 + 3_000; ts < T0 + HOURS * 60 * MIN; ts += 15_000) {
    const backlog = ts >= silentFrom && ts < silentTo;
    push('s3', 'pm25', ts, backlog ? silentTo - ts + Math.floor(next() * 20_000) : 300 + Math.floor(next() * 700));
  }
  readings.sort((a, b) => a.receivedAt - b.receivedAt);
  const events: Event[] = [];
  let tickMs = T0;
  for (const r of readings) {
    while (tickMs + 7_000 <= r.receivedAt) events.push({ tickMs: (tickMs += 7_000) });
    events.push({ reading: r });
  }
  events.push({ tickMs: tickMs + 3 * 60 * MIN });
  return events;
}

function run(engine: WindowEngine, events: readonly Event[], replay = false): Output {
  const out: Output = { statuses: [], results: [] };
  for (const e of events) {
    if ('tickMs' in e) {
      out.results.push(...engine.tick(e.tickMs));
    } else {
      const { status, results } = engine.add(e.reading, { replay });
      out.statuses.push(status);
      out.results.push(...results);
    }
  }
  return out;
}

function readingsOf(events: readonly Event[]): Event[] {
  return events.filter((e) => 'reading' in e);
}

/** What a restart replays: each key's last reading received before `fromMs`, then every reading since. */
function replaySet(events: readonly Event[], fromMs: number): Event[] {
  const lastBefore = new Map<string, Event>();
  const since: Event[] = [];
  for (const e of readingsOf(events)) {
    const r = (e as { reading: Reading }).reading;
    if (r.receivedAt >= fromMs) since.push(e);
    else lastBefore.set(`${r.sensorId}\u0000${r.metric}`, e);
  }
  return [...events.filter((e) => [...lastBefore.values()].includes(e)), ...since];
}

/** Every result must be the one the uninterrupted run emitted under the same id. */
function expectKnown(results: readonly WindowResult[], byId: ReadonlyMap<string, WindowResult>): void {
  for (const r of results) expect(r).toEqual(byId.get(resultId(r)));
}

function index(results: readonly WindowResult[]): Map<string, WindowResult> {
  const byId = new Map<string, WindowResult>();
  for (const r of results) {
    const id = resultId(r);
    expect(byId.get(id) ?? r, `${id} emitted twice with different content`).toEqual(r);
    byId.set(id, r);
  }
  return byId;
}

describe('restart rebuild', () => {
  const events = stream(42);
  const uninterrupted = run(new WindowEngine({ specFor }), events);
  const byId = index(uninterrupted.results);

  it('exercises every path', () => {
    const count = (s: AddStatus): number => uninterrupted.statuses.filter((x) => x === s).length;
    expect(count('on_time')).toBeGreaterThan(4_000);
    expect(count('late_revised')).toBeGreaterThan(100);
    expect(count('late_dropped')).toBeGreaterThan(5);
    const kinds = new Set(uninterrupted.results.map((r) => `${r.kind}:${r.revision > 0}`));
    expect([...kinds].sort()).toEqual(['session:false', 'session:true', 'sliding:false', 'tumbling:false', 'tumbling:true']);
  });

  it('needs replayFromMs to replay', () => {
    expect(() => new WindowEngine().add(reading(T0, 1), { replay: true })).toThrow(/replayFromMs/);
  });

  it('is deterministic: a replay of the readings produces the same statuses and results', () => {
    const replay = [...readingsOf(events), events[events.length - 1]];
    // the whole history is replayed: no window can be partial
    const first = run(new WindowEngine({ specFor, replayFromMs: -Infinity }), replay, true);
    const second = run(new WindowEngine({ specFor, replayFromMs: -Infinity }), replay, true);
    expect(second).toEqual(first);
    expect(first.statuses).toEqual(uninterrupted.statuses);
    // ticks only decide when a window closes, not what it holds or its revision
    expect([...index(first.results).keys()].sort()).toEqual([...byId.keys()].sort());
    expectKnown(first.results, byId);
  });

  it('a replay that skips sliding windows emits the rest unchanged and ends in the same state', () => {
    const replay = readingsOf(events);
    const full = new WindowEngine({ specFor, replayFromMs: -Infinity });
    const skipping = new WindowEngine({ specFor, replayFromMs: -Infinity });
    const withSliding = run(full, replay, true);
    const out: Output = { statuses: [], results: [] };
    for (const e of replay) {
      const { status, results } = skipping.add((e as { reading: Reading }).reading, { replay: true, skipSliding: true });
      out.statuses.push(status);
      out.results.push(...results);
    }
    expect(withSliding.results.some((r) => r.kind === 'sliding')).toBe(true);
    expect(out).toEqual({ statuses: withSliding.statuses, results: withSliding.results.filter((r) => r.kind !== 'sliding') });
    expect(encodeSnapshot(skipping, {})).toEqual(encodeSnapshot(full, {}));
    expect(skipping.tick(T0 + 10 * 60 * MIN)).toEqual(full.tick(T0 + 10 * 60 * MIN));
  });

  // At 0.65 the replay start falls inside s3's silence: without its seed reading the rebuilt engine would
  // not know that s3's backlog is late.
  for (const fraction of [0.3, 0.55, 0.65, 0.85]) {
    const k = events.findIndex((e, i) => i >= events.length * fraction && 'tickMs' in e) + 1;
    const crashMs = (events[k - 1] as { tickMs: number }).tickMs;
    const before = events.slice(0, k);
    const after = events.slice(k);
    const afterStatuses = uninterrupted.statuses.slice(readingsOf(before).length);

    it(`replaying every stored reading then continuing equals an uninterrupted run (crash at ${fraction})`, () => {
      const crashed = new WindowEngine({ specFor });
      const beforeCrash = run(crashed, before);
      const rebuilt = new WindowEngine({ specFor, replayFromMs: -Infinity });
      const replayed = run(rebuilt, readingsOf(before), true);
      expect(replayed.statuses).toEqual(beforeCrash.statuses);
      expectKnown(replayed.results, byId);
      const restart = rebuilt.tick(crashMs);
      expect(rebuilt.snapshotOpen()).toEqual(crashed.snapshotOpen());
      expect(rebuilt.stats()).toEqual(crashed.stats());
      const continued = run(rebuilt, after);
      expect(continued.statuses).toEqual(afterStatuses);
      expectKnown([...restart, ...continued.results], byId);
      const all = index([...beforeCrash.results, ...replayed.results, ...restart, ...continued.results]);
      expect([...all.keys()].sort()).toEqual([...byId.keys()].sort());
    });

    it(`replaying from replayStartMs then continuing equals an uninterrupted run (crash at ${fraction})`, () => {
      const crashed = new WindowEngine({ specFor });
      const beforeCrash = run(crashed, before);
      const replayFromMs = replayStartMs(crashMs, SPECS);
      expect(crashMs - replayFromMs).toBe(2 * 60 * MIN + 30_000);
      const rebuilt = new WindowEngine({ specFor, replayFromMs });
      const replayed = run(rebuilt, replaySet(before, replayFromMs), true);
      expectKnown(replayed.results, byId);
      const restart = rebuilt.tick(crashMs);
      expectKnown(restart, byId);
      expect(rebuilt.snapshotOpen()).toEqual(crashed.snapshotOpen());
      const continued = run(rebuilt, after);
      expect(continued.statuses).toEqual(afterStatuses);
      expectKnown(continued.results, byId);
      const emitted = new Set([...beforeCrash.results, ...restart, ...continued.results].map(resultId));
      expect([...byId.keys()].filter((id) => !emitted.has(id))).toEqual([]);
    });
  }
});
