import type { Quality } from '../reading.js';
import type { KeyRef, WindowKind, WindowResult } from './types.js';

/** Mutable aggregate of a window, pane or session: Welford for mean/variance, merged with Chan's formula. */
export class Acc {
  count = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  last = 0;
  /** Arrival sequence of `last`, so merges break event-time ties by arrival. */
  lastSeq = -1;
  firstTs = Infinity;
  lastTs = -Infinity;
  uncertainCount = 0;
  badCount = 0;
  /** -1 until first emitted. */
  revision = -1;

  constructor(
    public startMs: number,
    public endMs: number,
  ) {}

  add(value: number, ts: number, quality: Quality, seq: number): void {
    if (quality === 'bad') {
      this.badCount++;
      return;
    }
    if (quality === 'uncertain') this.uncertainCount++;
    const n = ++this.count;
    const d = value - this.mean;
    this.mean += d / n;
    this.m2 += d * (value - this.mean);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs || (ts === this.lastTs && seq > this.lastSeq)) {
      this.lastTs = ts;
      this.last = value;
      this.lastSeq = seq;
    }
  }

  merge(o: Acc): void {
    this.uncertainCount += o.uncertainCount;
    this.badCount += o.badCount;
    if (o.count === 0) return;
    const a = this.count;
    const b = o.count;
    const n = a + b;
    const d = o.mean - this.mean;
    this.mean += (d * b) / n;
    this.m2 += o.m2 + (d * d * a * b) / n;
    this.count = n;
    if (o.min < this.min) this.min = o.min;
    if (o.max > this.max) this.max = o.max;
    if (o.firstTs < this.firstTs) this.firstTs = o.firstTs;
    if (o.lastTs > this.lastTs || (o.lastTs === this.lastTs && o.lastSeq > this.lastSeq)) {
      this.lastTs = o.lastTs;
      this.last = o.last;
      this.lastSeq = o.lastSeq;
    }
  }

  reset(startMs: number, endMs: number): this {
    this.startMs = startMs;
    this.endMs = endMs;
    this.count = 0;
    this.mean = 0;
    this.m2 = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.last = 0;
    this.lastSeq = -1;
    this.firstTs = Infinity;
    this.lastTs = -Infinity;
    this.uncertainCount = 0;
    this.badCount = 0;
    this.revision = -1;
    return this;
  }

  toResult(kind: WindowKind, key: KeyRef, revision: number): WindowResult {
    return {
      kind,
      sensorId: key.sensorId,
      metric: key.metric,
      startMs: this.startMs,
      endMs: this.endMs,
      revision,
      count: this.count,
      mean: this.mean,
      min: this.min,
      max: this.max,
      last: this.last,
      stddev: Math.sqrt(Math.max(0, this.m2 / this.count)),
      uncertainCount: this.uncertainCount,
      badCount: this.badCount,
      firstTs: this.firstTs,
      lastTs: this.lastTs,
    };
  }
}
