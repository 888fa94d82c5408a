import { Acc } from './acc.js';

/** Numbers per window in the order of StateWriter.acc. */
const ACC_NUMBERS = 14;

/** A window's 14 numbers from `b` at `i`: the snapshot's order, and the packed lists' layout (acc-list.ts). */
export function readAcc<T extends Acc>(b: ArrayLike<number>, i: number, a: T): T {
  a.startMs = b[i]!;
  a.endMs = b[i + 1]!;
  a.count = b[i + 2]!;
  a.mean = b[i + 3]!;
  a.m2 = b[i + 4]!;
  a.min = b[i + 5]!;
  a.max = b[i + 6]!;
  a.last = b[i + 7]!;
  a.lastSeq = b[i + 8]!;
  a.firstTs = b[i + 9]!;
  a.lastTs = b[i + 10]!;
  a.uncertainCount = b[i + 11]!;
  a.badCount = b[i + 12]!;
  a.revision = b[i + 13]!;
  return a;
}

/** A window's 14 numbers into `b` at `i`, in the order readAcc takes them. */
export function writeAcc(b: { [i: number]: number }, i: number, a: Acc): void {
  b[i] = a.startMs;
  b[i + 1] = a.endMs;
  b[i + 2] = a.count;
  b[i + 3] = a.mean;
  b[i + 4] = a.m2;
  b[i + 5] = a.min;
  b[i + 6] = a.max;
  b[i + 7] = a.last;
  b[i + 8] = a.lastSeq;
  b[i + 9] = a.firstTs;
  b[i + 10] = a.lastTs;
  b[i + 11] = a.uncertainCount;
  b[i + 12] = a.badCount;
  b[i + 13] = a.revision;
}

/** Numbers of a window engine's state, in order, as float64 (exact, ±Infinity included); see snapshot.ts. */
export class StateWriter {
  private buf = new Float64Array(4096);
  private n = 0;

  num(x: number): void {
    this.reserve(1);
    this.buf[this.n++] = x;
  }

  acc(a: Acc): void {
    this.reserve(ACC_NUMBERS);
    writeAcc(this.buf, this.n, a);
    this.n += ACC_NUMBERS;
  }

  private reserve(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const grown = new Float64Array(this.buf.length * 2);
    grown.set(this.buf);
    this.buf = grown;
  }

  accs(list: readonly Acc[]): void {
    this.num(list.length);
    for (const a of list) this.acc(a);
  }

  numbers(): Float64Array {
    return this.buf.subarray(0, this.n);
  }
}

export class StateReader {
  private i = 0;

  constructor(private readonly buf: Float64Array) {}

  num(): number {
    if (this.i >= this.buf.length) throw new RangeError('window state ends early');
    return this.buf[this.i++]!;
  }

  /** A count of items that follow; anything but a small non-negative integer means a corrupt state. */
  count(): number {
    const n = this.num();
    if (!Number.isSafeInteger(n) || n < 0 || n > this.buf.length - this.i) throw new RangeError(`window state: bad count ${n}`);
    return n;
  }

  /** One bounds check per window: a restore reads tens of thousands of them before the JIT warms up. */
  accInto<T extends Acc>(a: T): T {
    const b = this.buf;
    const i = this.i;
    if (i + ACC_NUMBERS > b.length) throw new RangeError('window state ends early');
    readAcc(b, i, a);
    this.i = i + ACC_NUMBERS;
    return a;
  }

  accs(): Acc[] {
    const out: Acc[] = [];
    for (let n = this.count(); n > 0; n--) out.push(this.accInto(new Acc(0, 0)));
    return out;
  }

  get done(): boolean {
    return this.i === this.buf.length;
  }
}
