import type { Reading } from '../reading.js';
import { SessionWindows } from './sessions.js';
import { SlidingPanes } from './sliding.js';
import { sessionMaxMs, type WindowSpec } from './spec.js';
import type { StateReader, StateWriter } from './state-codec.js';
import { TumblingWindows } from './tumbling.js';
import type { AddStatus, KeyRef, Sink } from './types.js';

/** Watermark and windows of one (sensorId, metric). */
export class KeyState implements KeyRef {
  watermarkMs = -Infinity;
  maxTs = -Infinity;
  lastReceivedAt = -Infinity;
  readonly tumbling: TumblingWindows;
  readonly sliding: SlidingPanes | null;
  readonly sessions: SessionWindows | null;

  constructor(
    readonly sensorId: string,
    readonly metric: string,
    readonly spec: WindowSpec,
  ) {
    this.tumbling = new TumblingWindows(this, spec.tumblingMs, spec.revisionHorizonMs);
    this.sliding = spec.sliding === null ? null : new SlidingPanes(this, spec.sliding.sizeMs, spec.sliding.slideMs);
    this.sessions =
      spec.sessionGapMs === null
        ? null
        : new SessionWindows(this, spec.sessionGapMs, sessionMaxMs(spec), spec.revisionHorizonMs);
  }

  save(w: StateWriter): void {
    w.num(this.watermarkMs);
    w.num(this.maxTs);
    w.num(this.lastReceivedAt);
    this.tumbling.save(w);
    this.sliding?.save(w);
    this.sessions?.save(w);
  }

  load(r: StateReader): void {
    this.watermarkMs = r.num();
    this.maxTs = r.num();
    this.lastReceivedAt = r.num();
    this.tumbling.load(r);
    this.sliding?.load(r);
    this.sessions?.load(r);
  }

  add(r: Reading, seq: number, sink: Sink): AddStatus {
    // The idle rule of tick() applied at this reading's arrival: live runs (ticked or not) and replays agree.
    this.idleAdvance(r.receivedAt, sink);
    if (r.receivedAt > this.lastReceivedAt) this.lastReceivedAt = r.receivedAt;
    const wm = this.watermarkMs;
    const status = this.tumbling.add(r, seq, wm, sink);
    if (status !== 'late_dropped') {
      this.sliding?.add(r, seq, wm);
      this.sessions?.add(r, seq, wm, sink);
    }
    if (r.ts > this.maxTs) {
      this.maxTs = r.ts;
      this.advance(r.ts - this.spec.allowedLatenessMs, sink);
    }
    return status;
  }

  idleAdvance(nowMs: number, sink: Sink): void {
    const silentMs = nowMs - this.lastReceivedAt;
    if (this.maxTs === -Infinity || silentMs < this.spec.idleCloseMs) return;
    this.advance(this.maxTs + silentMs - this.spec.allowedLatenessMs, sink);
  }

  private advance(toWm: number, sink: Sink): void {
    const fromWm = this.watermarkMs;
    if (!(toWm > fromWm)) return;
    this.watermarkMs = toWm;
    this.tumbling.close(toWm, sink);
    this.sliding?.close(fromWm, toWm, sink);
    this.sessions?.close(toWm, sink);
  }
}
