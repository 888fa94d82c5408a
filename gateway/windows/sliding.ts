import type { Reading } from '../reading.js';
import { Acc } from './acc.js';
import { AccList } from './acc-list.js';
import { floorTo } from './spec.js';
import type { StateReader, StateWriter } from './state-codec.js';
import type { KeyRef, Sink } from './types.js';

/** A pane being read and the window being composed; one each for every key (the engine is synchronous). */
const PANE = new Acc(0, 0);
const WINDOW = new Acc(0, 0);

/**
 * Sliding windows of one key, built from slide-sized panes: a reading updates one pane, and a window is
 * composed from its sizeMs / slideMs panes when the watermark passes its end. Closed sliding windows are
 * never revised (they feed the dashboard only).
 */
export class SlidingPanes {
  /** Sorted by start; only panes that some still-open window contains. Packed (acc-list.ts). */
  private readonly panes: AccList;

  constructor(
    private readonly key: KeyRef,
    private readonly sizeMs: number,
    private readonly slideMs: number,
  ) {
    this.panes = new AccList(sizeMs / slideMs + 1);
  }

  get paneCount(): number {
    return this.panes.length;
  }

  save(w: StateWriter): void {
    this.panes.save(w);
  }

  load(r: StateReader): void {
    this.panes.load(r);
  }

  add(r: Reading, seq: number, watermarkMs: number): void {
    const start = floorTo(r.ts, this.slideMs);
    if (start < this.firstOpenEnd(watermarkMs) - this.sizeMs) return;
    const panes = this.panes;
    panes.addAt(panes.findOrInsert(start, start + this.slideMs), r, seq);
  }

  /** Emits every window with end in (fromWm, toWm] that holds at least one pane, then drops unneeded panes. */
  close(fromWm: number, toWm: number, sink: Sink): void {
    const panes = this.panes;
    const n = panes.length;
    if (n === 0) return;
    const { sizeMs, slideMs } = this;
    const scratch = WINDOW;
    const last = Math.min(floorTo(toWm, slideMs), panes.startAt(n - 1) + sizeMs);
    let lo = 0;
    const first = sink.skipSliding ? Infinity : Math.max(this.firstOpenEnd(fromWm), panes.startAt(0) + slideMs);
    for (let end = first; end <= last; end += slideMs) {
      const start = end - sizeMs;
      while (lo < n && panes.startAt(lo) < start) lo++;
      if (lo === n || panes.startAt(lo) >= end) continue;
      if (start < sink.suppressBeforeMs) continue;
      scratch.reset(start, end);
      for (let i = lo; i < n && panes.startAt(i) < end; i++) scratch.merge(panes.read(i, PANE));
      if (scratch.count > 0) sink.results.push(scratch.toResult('sliding', this.key, 0));
    }
    const keepFrom = this.firstOpenEnd(toWm) - sizeMs;
    let k = 0;
    while (k < n && panes.startAt(k) < keepFrom) k++;
    panes.dropFront(k);
  }

  /** End of the earliest sliding window still open at this watermark. */
  private firstOpenEnd(watermarkMs: number): number {
    return floorTo(watermarkMs, this.slideMs) + this.slideMs;
  }
}
