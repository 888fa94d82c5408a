import type { Reading } from '../reading.js';
import { Acc } from './acc.js';
import { readAcc, writeAcc, type StateReader, type StateWriter } from './state-codec.js';

/** Numbers a window takes, in readAcc/writeAcc's order (the snapshot's format). */
const FIELDS = 14;
const START = 0;
const END = 1;
/** A window being loaded, made or added to; one for every list (the engine is synchronous). */
const SPARE = new Acc(0, 0);

/** `windows` windows of zeros, as one double array of exactly that length (`fill` keeps V8 from adding slack). */
function doubles(windows: number): number[] {
  return new Array<number>(windows * FIELDS).fill(0.5).fill(0);
}

/**
 * Windows sorted by start, 14 numbers each in one array: the closed tumbling windows of the revision horizon, the
 * sliding panes and the open tumbling windows (28,000 of the 30,000 windows 1,000 keys hold with the default spec).
 * An Acc each is ~290 B of heap, as V8 boxes every double field; here a window is 112 B. The array doubles up to
 * `expectedWindows` (the most a spec lets a key keep, e.g. 16 panes; by half past it) and is moved within on insert
 * and drop, so a key that has filled its horizon carries no growth slack and makes no more garbage (push and
 * splice did both). The engine at 1,000 keys after 70 min: 6.3 → 5.5 MiB. A window is read into an Acc to be
 * changed and written back (`read`, `write`).
 */
export class AccList {
  /** Only numbers: V8 keeps them unboxed in one double array on the heap (no ArrayBuffer per list). */
  private buf = doubles(1);
  private n = 0;

  constructor(private readonly expectedWindows = 2) {}

  get length(): number {
    return this.n;
  }

  startAt(i: number): number {
    return this.buf[i * FIELDS + START]!;
  }

  endAt(i: number): number {
    return this.buf[i * FIELDS + END]!;
  }

  read(i: number, into: Acc): Acc {
    return readAcc(this.buf, i * FIELDS, into);
  }

  write(i: number, a: Acc): void {
    writeAcc(this.buf, i * FIELDS, a);
  }

  /** Adds the reading to the window at `i`: the read-change-write of a window nothing else needs to see. */
  addAt(i: number, r: Reading, seq: number): void {
    const w = this.read(i, SPARE);
    w.add(r.value, r.ts, r.quality, seq);
    this.write(i, w);
  }

  /** Makes room at `i` and writes `a` there. */
  insert(i: number, a: Acc): void {
    if (this.n * FIELDS === this.buf.length) this.grow();
    const b = this.buf;
    // a loop, not copyWithin: V8's copyWithin checks every element of a holey array (~1.4 s of a 2 h replay)
    for (let j = this.n * FIELDS - 1; j >= i * FIELDS; j--) b[j + FIELDS] = b[j]!;
    this.n++;
    this.write(i, a);
  }

  push(a: Acc): void {
    this.insert(this.n, a);
  }

  dropFront(k: number): void {
    if (k <= 0) return;
    const b = this.buf;
    const from = k * FIELDS;
    for (let j = from; j < this.n * FIELDS; j++) b[j - from] = b[j]!;
    this.n -= k;
  }

  private grow(): void {
    const n = this.n;
    const grown = doubles(n < this.expectedWindows ? Math.min(2 * n, this.expectedWindows) : n + (n >> 1) + 1);
    const b = this.buf;
    for (let i = 0; i < b.length; i++) grown[i] = b[i]!;
    this.buf = grown;
  }

  /** Index of the window [start, endMs); an empty one is made there if there is none. */
  findOrInsert(start: number, endMs: number): number {
    const i = this.lastStartingBy(start);
    if (i >= 0 && this.startAt(i) === start) return i;
    this.insert(i + 1, SPARE.reset(start, endMs));
    return i + 1;
  }

  /** Index of the last window starting at or before `start`, or -1 (searched from the newest: readings mostly hit it). */
  lastStartingBy(start: number): number {
    let i = this.n - 1;
    while (i >= 0 && this.startAt(i) > start) i--;
    return i;
  }

  save(w: StateWriter): void {
    w.num(this.n);
    const b = this.buf;
    for (let i = 0; i < this.n * FIELDS; i++) w.num(b[i]!);
  }

  load(r: StateReader): void {
    for (let n = r.count(); n > 0; n--) this.push(r.accInto(SPARE));
  }
}
