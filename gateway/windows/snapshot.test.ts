import { describe, expect, it } from 'vitest';
import { WindowEngine } from './engine.js';
import { SnapshotRejected, decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { DEFAULT_WINDOW_SPEC, type WindowSpec } from './spec.js';
import { MIN, T0, reading, rng } from './test-support.js';
import type { AddStatus, WindowResult } from './types.js';

const TEMPERATURE: WindowSpec = { ...DEFAULT_WINDOW_SPEC, tumblingMs: 10 * MIN, revisionHorizonMs: 30 * MIN, sliding: null };
const specFor = (metric: string): WindowSpec => (metric === 'temperature' ? TEMPERATURE : DEFAULT_WINDOW_SPEC);

type Event = { sensorId: string; metric: string; ts: number; receivedAt: number; value: number; quality: 'good' | 'uncertain' | 'bad' } | { tickMs: number };

/** Four keys over three hours in arrival order with jitter, very late and bad readings, a silence and ticks. */
function stream(seed: number): Event[] {
  const next = rng(seed);
  const out: Array<Event & { receivedAt: number }> = [];
  const keys: Array<[string, string, number]> = [['a', 'pm25', 10_000], ['b', 'temperature', 60_000], ['c', 'pm25', 30_000], ['a', 'no2', 45_000]];
  for (const [sensorId, metric, every] of keys) {
    for (let ts = T0 + Math.floor(next() * every); ts < T0 + 180 * MIN; ts += every) {
      if (sensorId === 'c' && ts > T0 + 60 * MIN && ts < T0 + 100 * MIN) continue;
      const q = next();
      const delay = next() < 0.02 ? 10 * MIN + Math.floor(next() * 60 * MIN) : 50 + Math.floor(next() * 5_000);
      out.push({ sensorId, metric, ts, receivedAt: ts + delay, value: Math.round(next() * 1000) / 10, quality: q < 0.03 ? 'bad' : q < 0.1 ? 'uncertain' : 'good' });
    }
  }
  out.sort((x, y) => x.receivedAt - y.receivedAt);
  const events: Event[] = [];
  let tickMs = T0;
  for (const r of out) {
    while (tickMs + 5_000 <= r.receivedAt) events.push({ tickMs: (tickMs += 5_000) });
    events.push(r);
  }
  events.push({ tickMs: tickMs + 120 * MIN });
  return events;
}

function run(engine: WindowEngine, events: readonly Event[]): { statuses: AddStatus[]; results: WindowResult[] } {
  const out = { statuses: [] as AddStatus[], results: [] as WindowResult[] };
  for (const e of events) {
    if ('tickMs' in e) out.results.push(...engine.tick(e.tickMs));
    else {
      const { status, results } = engine.add(reading(e.ts, e.value, e));
      out.statuses.push(status);
      out.results.push(...results);
    }
  }
  return out;
}

describe('window engine snapshot', () => {
  const events = stream(7);

  for (const fraction of [0.1, 0.4, 0.7, 0.95]) {
    it(`restored at ${fraction}, the engine continues exactly as one that never stopped`, () => {
      const k = Math.floor(events.length * fraction);
      const reference = new WindowEngine({ specFor });
      run(reference, events.slice(0, k));
      const stopped = new WindowEngine({ specFor });
      run(stopped, events.slice(0, k));
      const { engine, meta } = decodeSnapshot(encodeSnapshot(stopped, { lastReadingId: 42 }), specFor);
      expect(meta).toEqual({ lastReadingId: 42 });
      expect(engine.stats()).toEqual(reference.stats());
      expect(engine.snapshotOpen()).toEqual(reference.snapshotOpen());
      const expected = run(reference, events.slice(k));
      expect(expected.results.length).toBeGreaterThan(0);
      expect(run(engine, events.slice(k))).toEqual(expected);
    });
  }

  it('keeps Infinity, revisions and the arrival sequence', () => {
    const engine = new WindowEngine({ specFor });
    engine.add(reading(T0, 1, { quality: 'bad' }));
    engine.add(reading(T0 + 10 * MIN, 2));
    engine.add(reading(T0 + MIN, 3, { receivedAt: T0 + 10 * MIN + 1 }));
    const restored = decodeSnapshot(encodeSnapshot(engine, {}), specFor).engine;
    expect(encodeSnapshot(restored, {})).toEqual(encodeSnapshot(engine, {}));
    expect(restored.add(reading(T0 + 2 * MIN, 4, { receivedAt: T0 + 10 * MIN + 2 }))).toEqual(engine.add(reading(T0 + 2 * MIN, 4, { receivedAt: T0 + 10 * MIN + 2 })));
  });

  it('refuses a corrupt or truncated snapshot, and one taken under another window spec', () => {
    const engine = new WindowEngine({ specFor });
    run(engine, events.slice(0, 500));
    const bytes = encodeSnapshot(engine, {});
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 100] ^= 1;
    expect(() => decodeSnapshot(flipped, specFor)).toThrow(SnapshotRejected);
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 8), specFor)).toThrow(SnapshotRejected);
    expect(() => decodeSnapshot(Buffer.from('nonsense'), specFor)).toThrow(SnapshotRejected);
    const longer = (m: string): WindowSpec => (m === 'temperature' ? { ...TEMPERATURE, revisionHorizonMs: 2 * 60 * MIN } : DEFAULT_WINDOW_SPEC);
    expect(() => decodeSnapshot(bytes, longer)).toThrow(/window spec of temperature changed/);
    expect(decodeSnapshot(bytes, specFor).engine.stats()).toEqual(engine.stats());
  });
});
