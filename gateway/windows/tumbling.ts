import type { Reading } from '../reading.js';
import { Acc } from './acc.js';
import { AccList } from './acc-list.js';
import { floorTo } from './spec.js';
import type { StateReader, StateWriter } from './state-codec.js';
import type { AddStatus, KeyRef, Sink } from './types.js';

/** A closed window being revised; one for every key (the engine is synchronous). */
const SCRATCH = new Acc(0, 0);

/** Tumbling windows of one key: open ones, and closed ones kept while they may still be revised. */
export class TumblingWindows {
  /** Sorted by start; every end > watermark. */
  private readonly open: Acc[] = [];
  /** Sorted by start; every end >= watermark - horizon. Packed: revised only by late readings. */
  private readonly closed = new AccList();

  constructor(
    private readonly key: KeyRef,
    private readonly sizeMs: number,
    private readonly horizonMs: number,
  ) {}

  get openCount(): number {
    return this.open.length;
  }

  get closedCount(): number {
    return this.closed.length;
  }

  openWindows(): readonly Acc[] {
    return this.open;
  }

  save(w: StateWriter): void {
    w.accs(this.open);
    this.closed.save(w);
  }

  load(r: StateReader): void {
    this.open.push(...r.accs());
    this.closed.load(r);
  }

  /** Classifies the reading against `watermarkMs` and aggregates it unless it is dropped. */
  add(r: Reading, seq: number, watermarkMs: number, sink: Sink): AddStatus {
    const start = floorTo(r.ts, this.sizeMs);
    const end = start + this.sizeMs;
    if (end > watermarkMs) {
      this.openAt(start).add(r.value, r.ts, r.quality, seq);
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
    while (n < open.length && open[n].endMs <= watermarkMs) {
      const w = open[n++];
      this.emit(w, sink);
      this.closed.push(w);
    }
    if (n > 0) open.splice(0, n);
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

  private openAt(start: number): Acc {
    return findOrInsert(this.open, start, this.sizeMs);
  }

  /** A window inside the horizon that never opened (no reading before) is created and emitted as revision 0. */
  private closedAt(start: number): number {
    return this.closed.findOrInsert(start, start + this.sizeMs);
  }
}

/** Searches from the newest window: readings mostly hit the last one. */
function findOrInsert(list: Acc[], start: number, sizeMs: number): Acc {
  let i = list.length - 1;
  while (i >= 0 && list[i].startMs > start) i--;
  if (i >= 0 && list[i].startMs === start) return list[i];
  const w = new Acc(start, start + sizeMs);
  list.splice(i + 1, 0, w);
  return w;
}
