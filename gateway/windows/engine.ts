import type { Reading } from '../reading.js';
import { KeyState } from './key-state.js';
import { DEFAULT_WINDOW_SPEC, validateWindowSpec, type WindowSpec } from './spec.js';
import { StateReader, StateWriter } from './state-codec.js';
import type { AddOptions, AddResult, AddStatus, Sink, WindowEngineStats, WindowResult } from './types.js';

export type { WindowSpec } from './spec.js';

export interface EngineState {
  seq: number;
  keys: Array<[sensorId: string, metric: string]>;
  /** The spec of every metric in keys. */
  specs: ReadonlyMap<string, WindowSpec>;
  numbers: Float64Array;
}

export interface WindowEngineOptions {
  /** Window spec per metric; called once per metric. Defaults to DEFAULT_WINDOW_SPEC. */
  specFor?: (metric: string) => WindowSpec;
  /**
   * Required to replay (add(…, {replay: true})): where the replay of stored readings starts, replayStartMs().
   * Windows starting before it are rebuilt but not emitted during the replay: they may be partial, and they
   * were emitted before the restart. -Infinity when the whole history is replayed.
   */
  replayFromMs?: number;
}

const NO_RESULTS: readonly WindowResult[] = Object.freeze([]);
const QUIET: Readonly<Record<AddStatus, AddResult>> = Object.freeze({
  on_time: Object.freeze({ status: 'on_time', results: NO_RESULTS }),
  late_revised: Object.freeze({ status: 'late_revised', results: NO_RESULTS }),
  late_dropped: Object.freeze({ status: 'late_dropped', results: NO_RESULTS }),
});

/**
 * Event-time windows (DESIGN §4) for one gateway process: pure, synchronous, in memory. Wall-clock time
 * comes in through Reading.receivedAt and tick(nowMs); see README.md for the replay contract.
 */
export class WindowEngine {
  private readonly keys = new Map<string, Map<string, KeyState>>();
  private readonly specs = new Map<string, WindowSpec>();
  private readonly specFor: (metric: string) => WindowSpec;
  private readonly replayFromMs: number | undefined;
  private readonly sink: Sink = { results: [], suppressBeforeMs: -Infinity, skipSliding: false };
  private seq = 0;

  constructor(options: WindowEngineOptions | ((metric: string) => WindowSpec) = {}) {
    const o = typeof options === 'function' ? { specFor: options } : options;
    this.specFor = o.specFor ?? (() => DEFAULT_WINDOW_SPEC);
    this.replayFromMs = o.replayFromMs;
  }

  add(reading: Reading, options?: AddOptions): AddResult {
    if (!Number.isFinite(reading.ts) || !Number.isFinite(reading.receivedAt)) {
      throw new RangeError(`reading of ${reading.sensorId}/${reading.metric}: ts and receivedAt must be finite`);
    }
    if (reading.quality !== 'bad' && !Number.isFinite(reading.value)) {
      throw new RangeError(`reading of ${reading.sensorId}/${reading.metric}: value must be finite`);
    }
    const sink = this.sink;
    if (options?.replay === true) {
      if (this.replayFromMs === undefined) throw new Error('WindowEngine: a replay needs options.replayFromMs');
      sink.suppressBeforeMs = this.replayFromMs;
    } else {
      sink.suppressBeforeMs = -Infinity;
    }
    sink.skipSliding = options?.skipSliding === true;
    const status = this.keyFor(reading.sensorId, reading.metric).add(reading, this.seq++, sink);
    if (sink.results.length === 0) return QUIET[status];
    return { status, results: this.drain() };
  }

  /** Advances the watermark of every key silent for idleCloseMs of wall clock; returns the windows it closed. */
  tick(nowMs: number): WindowResult[] {
    const sink = this.sink;
    sink.suppressBeforeMs = -Infinity;
    sink.skipSliding = false;
    for (const metrics of this.keys.values()) {
      for (const key of metrics.values()) key.idleAdvance(nowMs, sink);
    }
    return this.drain();
  }

  /** Open tumbling windows with their aggregates so far (revision 0), by sensor, metric and start. */
  snapshotOpen(): WindowResult[] {
    const out: WindowResult[] = [];
    for (const metrics of this.keys.values()) {
      for (const key of metrics.values()) {
        for (const w of key.tumbling.openWindows()) out.push(w.toResult('tumbling', key, 0));
      }
    }
    return out.sort(
      (a, b) =>
        cmp(a.sensorId, b.sensorId) || cmp(a.metric, b.metric) || a.startMs - b.startMs,
    );
  }

  watermarkMs(sensorId: string, metric: string): number | undefined {
    return this.keys.get(sensorId)?.get(metric)?.watermarkMs;
  }

  stats(): WindowEngineStats {
    const s: WindowEngineStats = { keys: 0, openTumbling: 0, closedTumbling: 0, panes: 0, openSessions: 0, closedSessions: 0 };
    for (const metrics of this.keys.values()) {
      for (const key of metrics.values()) {
        s.keys++;
        s.openTumbling += key.tumbling.openCount;
        s.closedTumbling += key.tumbling.closedCount;
        s.panes += key.sliding?.paneCount ?? 0;
        s.openSessions += key.sessions?.openCount ?? 0;
        s.closedSessions += key.sessions?.closedCount ?? 0;
      }
    }
    return s;
  }

  /** Everything add() and tick() depend on; snapshot.ts frames it. Keys keep their order, and with it tick()'s. */
  saveState(): EngineState {
    const w = new StateWriter();
    const keys: Array<[string, string]> = [];
    for (const [sensorId, metrics] of this.keys) {
      for (const [metric, key] of metrics) {
        keys.push([sensorId, metric]);
        key.save(w);
      }
    }
    return { seq: this.seq, keys, specs: new Map(this.specs), numbers: w.numbers() };
  }

  /** Into an engine that has seen nothing; throws on a state that does not parse to the end. */
  loadState(state: Omit<EngineState, 'specs'>): void {
    if (this.keys.size > 0 || this.seq > 0) throw new Error('WindowEngine.loadState: the engine is not empty');
    const r = new StateReader(state.numbers);
    for (const [sensorId, metric] of state.keys) this.keyFor(sensorId, metric).load(r);
    if (!r.done) throw new RangeError('window state: numbers left over');
    this.seq = state.seq;
  }

  private keyFor(sensorId: string, metric: string): KeyState {
    let metrics = this.keys.get(sensorId);
    if (metrics === undefined) {
      metrics = new Map();
      this.keys.set(sensorId, metrics);
    }
    let key = metrics.get(metric);
    if (key === undefined) {
      key = new KeyState(sensorId, metric, this.specOf(metric));
      metrics.set(metric, key);
    }
    return key;
  }

  private specOf(metric: string): WindowSpec {
    let spec = this.specs.get(metric);
    if (spec === undefined) {
      spec = this.specFor(metric);
      validateWindowSpec(spec, metric);
      this.specs.set(metric, spec);
    }
    return spec;
  }

  private drain(): WindowResult[] {
    const results = this.sink.results.slice();
    this.sink.results.length = 0;
    return results;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
