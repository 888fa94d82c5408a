import type { Reading } from '../reading.js';
import { Acc } from './acc.js';
import { floorTo } from './spec.js';
import type { StateReader, StateWriter } from './state-codec.js';
import type { KeyRef, Sink } from './types.js';

/**
 * Sliding windows of one key, built from slide-sized panes: a reading updates one pane, and a window is
 * composed from its sizeMs / slideMs panes when the watermark passes its end. Closed sliding windows are
 * never revised (they feed the dashboard only).
 */
export class SlidingPanes {
  /** Sorted by start; only panes that some still-open window contains. */
  private readonly panes: Acc[] = [];
  private readonly scratch = new Acc(0, 0);

  constructor(
    private readonly key: KeyRef,
    private readonly sizeMs: number,
    private readonly slideMs: number,
  ) {}

  get paneCount(): number {
    return this.panes.length;
  }

  save(w: StateWriter): void {
    w.accs(this.panes);
  }

  load(r: StateReader): void {
    this.panes.push(...r.accs());
  }

  add(r: Reading, seq: number, watermarkMs: number): void {
    const start = floorTo(r.ts, this.slideMs);
    if (start < this.firstOpenEnd(watermarkMs) - this.sizeMs) return;
    const panes = this.panes;
    let i = panes.length - 1;
    while (i >= 0 && panes[i].startMs > start) i--;
    let pane: Acc;
    if (i >= 0 && panes[i].startMs === start) {
      pane = panes[i];
    } else {
      pane = new Acc(start, start + this.slideMs);
      panes.splice(i + 1, 0, pane);
    }
    pane.add(r.value, r.ts, r.quality, seq);
  }

  /** Emits every window with end in (fromWm, toWm] that holds at least one pane, then drops unneeded panes. */
  close(fromWm: number, toWm: number, sink: Sink): void {
    const panes = this.panes;
    const n = panes.length;
    if (n === 0) return;
    const { sizeMs, slideMs, scratch } = this;
    const last = Math.min(floorTo(toWm, slideMs), panes[n - 1].startMs + sizeMs);
    let lo = 0;
    const first = sink.skipSliding ? Infinity : Math.max(this.firstOpenEnd(fromWm), panes[0].startMs + slideMs);
    for (let end = first; end <= last; end += slideMs) {
      const start = end - sizeMs;
      while (lo < n && panes[lo].startMs < start) lo++;
      if (lo === n || panes[lo].startMs >= end) continue;
      if (start < sink.suppressBeforeMs) continue;
      scratch.reset(start, end);
      for (let i = lo; i < n && panes[i].startMs < end; i++) scratch.merge(panes[i]);
      if (scratch.count > 0) sink.results.push(scratch.toResult('sliding', this.key, 0));
    }
    const keepFrom = this.firstOpenEnd(toWm) - sizeMs;
    let k = 0;
    while (k < n && panes[k].startMs < keepFrom) k++;
    if (k > 0) panes.splice(0, k);
  }

  /** End of the earliest sliding window still open at this watermark. */
  private firstOpenEnd(watermarkMs: number): number {
    return floorTo(watermarkMs, this.slideMs) + this.slideMs;
  }
}
