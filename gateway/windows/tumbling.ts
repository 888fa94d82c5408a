import type { Reading } from '../reading.js';
import { Acc } from './acc.js';
import { AccList } from './acc-list.js';
import { floorTo } from './spec.js';
import type { StateReader, StateWriter } from './state-codec.js';
import type { AddStatus, KeyRef, Sink } from './types.js';

/** A window being revised or closed; one for every key (the engine is synchronous). */
const SCRATCH = new Acc(0, 0);

/** Tumbling windows of one key: open ones, and closed ones kept while they may still be revised. */
export class TumblingWindows {
  /** Sorted by start; every end > watermark. */
  private readonly open = new AccList(2);
  /** Sorted by start; every end >= watermark - horizon. */
  private readonly closed: AccList;

  constructor(
    private readonly key: KeyRef,
    private readonly sizeMs: number,
    private readonly horizonMs: number,
  ) {
    this.closed = new AccList(Math.floor(horizonMs / sizeMs) + 1);
  }

  get openCount(): number {
    return this.open.length;
  }

  get closedCount(): number {
    return this.closed.length;
  }

  openWindows(): Acc[] {
    return Array.from({ length: this.open.length }, (_, i) => this.open.read(i, new Acc(0, 0)));
  }

  save(w: StateWriter): void {
    this.open.save(w);
    this.closed.save(w);
  }

  load(r: StateReader): void {
    this.open.load(r);
    this.closed.load(r);
  }

  /** Classifies the reading against `watermarkMs` and aggregates it unless it is dropped. */
  add(r: Reading, seq: number, watermarkMs: number, sink: Sink): AddStatus {
    const start = floorTo(r.ts, this.sizeMs);
    const end = start + this.sizeMs;
    if (end > watermarkMs) {
      this.open.addAt(this.open.findOrInsert(start, end), r, seq);
      return 'on_time';
    }
    if (end < watermarkMs - this.horizonMs) return 'late_dropped';
    const i = this.closedAt(start);
    const w = this.closed.read(i, SCRATCH);
    w.add(r.value, r.ts, r.quality, seq);
    this.emit(w, sink);
    this.closed.write(i, w);
    return 'late_revised';
  }

  close(watermarkMs: number, sink: Sink): void {
    const open = this.open;
    let n = 0;
    while (n < open.length && open.endAt(n) <= watermarkMs) {
      const w = open.read(n++, SCRATCH);
      this.emit(w, sink);
      this.closed.push(w);
    }
    open.dropFront(n);
    const closed = this.closed;
    const oldest = watermarkMs - this.horizonMs;
    let k = 0;
    while (k < closed.length && closed.endAt(k) < oldest) k++;
    closed.dropFront(k);
  }

  /** A window without values is kept (a late value may come) but not emitted, so its revision stays put. */
  private emit(w: Acc, sink: Sink): void {
    if (w.count === 0) return;
    w.revision++;
    if (w.startMs >= sink.suppressBeforeMs) sink.results.push(w.toResult('tumbling', this.key, w.revision));
  }

  /** A window inside the horizon that never opened (no reading before) is created and emitted as revision 0. */
  private closedAt(start: number): number {
    return this.closed.findOrInsert(start, start + this.sizeMs);
  }
}

