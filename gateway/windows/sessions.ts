import type { Reading } from '../reading.js';
import { Acc } from './acc.js';
import { floorTo } from './spec.js';
import type { StateReader, StateWriter } from './state-codec.js';
import type { KeyRef, Sink } from './types.js';

class Session extends Acc {
  constructor(readonly bucketStartMs: number) {
    super(0, 0);
  }
}

/**
 * Session windows of one key. A reading joins a session when it is less than gapMs from it (a silence of
 * exactly gapMs splits); sessions never cross an epoch-aligned sessionMaxMs boundary. An open session spans
 * [firstTs, min(lastTs + gap, bucket end)) and closes when the watermark reaches that end; startMs and endMs
 * are then fixed, so revisions keep the window's identity.
 *
 * Late readings (ts < watermark) never merge sessions: one inside a closed session's [startMs, endMs)
 * revises it; otherwise it joins (or bridges) open sessions like an on-time reading, or starts a new one if
 * that one would still be open; a late reading that would only make a new, already-closed session is
 * ignored by sessions. 'bad' readings only add to the badCount of the session they fall in.
 */
export class SessionWindows {
  /** Sorted by firstTs (hence by end). */
  private readonly open: Session[] = [];
  /** Sorted by endMs; every endMs >= watermark - horizon. */
  private readonly closed: Session[] = [];

  constructor(
    private readonly key: KeyRef,
    private readonly gapMs: number,
    private readonly maxMs: number,
    private readonly horizonMs: number,
  ) {}

  get openCount(): number {
    return this.open.length;
  }

  get closedCount(): number {
    return this.closed.length;
  }

  save(w: StateWriter): void {
    for (const list of [this.open, this.closed]) {
      w.num(list.length);
      for (const s of list) {
        w.num(s.bucketStartMs);
        w.acc(s);
      }
    }
  }

  load(r: StateReader): void {
    for (const list of [this.open, this.closed]) {
      for (let n = r.count(); n > 0; n--) list.push(r.accInto(new Session(r.num())));
    }
  }

  add(r: Reading, seq: number, watermarkMs: number, sink: Sink): void {
    const ts = r.ts;
    if (ts < watermarkMs) {
      const c = this.closedContaining(ts);
      if (c !== undefined) {
        c.add(r.value, ts, r.quality, seq);
        this.emit(c, sink);
        return;
      }
    }
    const bucket = floorTo(ts, this.maxMs);
    const open = this.open;
    let i = 0;
    while (i < open.length && !this.reaches(open[i], bucket, ts)) i++;
    if (i === open.length) {
      if (r.quality === 'bad' || watermarkMs >= Math.min(ts + this.gapMs, bucket + this.maxMs)) return;
      const s = new Session(bucket);
      s.add(r.value, ts, r.quality, seq);
      let j = open.length;
      while (j > 0 && open[j - 1].firstTs > ts) j--;
      open.splice(j, 0, s);
      return;
    }
    const s = open[i];
    s.add(r.value, ts, r.quality, seq);
    const next = open[i + 1];
    if (next !== undefined && next.bucketStartMs === bucket && next.firstTs - s.lastTs < this.gapMs) {
      s.merge(next);
      open.splice(i + 1, 1);
    }
  }

  close(watermarkMs: number, sink: Sink): void {
    const open = this.open;
    let n = 0;
    while (n < open.length && this.openEnd(open[n]) <= watermarkMs) {
      const s = open[n++];
      s.startMs = s.firstTs;
      s.endMs = this.openEnd(s);
      this.closed.push(s);
      this.emit(s, sink);
    }
    if (n > 0) open.splice(0, n);
    const closed = this.closed;
    const oldest = watermarkMs - this.horizonMs;
    let k = 0;
    while (k < closed.length && closed[k].endMs < oldest) k++;
    if (k > 0) closed.splice(0, k);
  }

  private reaches(s: Session, bucket: number, ts: number): boolean {
    return s.bucketStartMs === bucket && ts - s.lastTs < this.gapMs && s.firstTs - ts < this.gapMs;
  }

  private openEnd(s: Session): number {
    return Math.min(s.lastTs + this.gapMs, s.bucketStartMs + this.maxMs);
  }

  private closedContaining(ts: number): Session | undefined {
    const closed = this.closed;
    for (let i = closed.length - 1; i >= 0; i--) {
      const c = closed[i];
      if (c.startMs <= ts && ts < c.endMs) return c;
      if (c.endMs <= ts) return undefined;
    }
    return undefined;
  }

  private emit(s: Session, sink: Sink): void {
    s.revision++;
    if (s.bucketStartMs >= sink.suppressBeforeMs) sink.results.push(s.toResult('session', this.key, s.revision));
  }
}
