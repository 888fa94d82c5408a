import { describe, expect, it } from 'vitest';
import { Acc } from './acc.js';
import { AccList } from './acc-list.js';
import { StateReader, StateWriter } from './state-codec.js';

const window = (start: number, values: number[]): Acc => {
  const a = new Acc(start, start + 60_000);
  values.forEach((v, i) => a.add(v, start + i * 1_000, i % 3 === 2 ? 'uncertain' : 'good', start + i));
  a.revision = values.length % 2;
  return a;
};
const fields = (a: Acc) => ({ ...a });

describe('AccList', () => {
  it('holds windows sorted as inserted, reads back every field, and drops from the front', () => {
    const list = new AccList();
    const made = [window(3 * 60_000, [1, 2]), window(0, [5]), window(60_000, [2.5, -1, 7]), window(5 * 60_000, [])];
    for (const a of made) list.insert(list.lastStartingBy(a.startMs) + 1, a);
    const sorted = [...made].sort((a, b) => a.startMs - b.startMs);
    expect(Array.from({ length: list.length }, (_, i) => fields(list.read(i, new Acc(0, 0))))).toEqual(sorted.map(fields));
    expect(list.lastStartingBy(4 * 60_000)).toBe(2);
    expect(list.lastStartingBy(-1)).toBe(-1);

    const changed = list.read(1, new Acc(0, 0));
    changed.add(100, 60_000 + 500, 'good', 99);
    list.write(1, changed);
    expect(list.read(1, new Acc(0, 0)).count).toBe(4);
    expect(list.read(1, new Acc(0, 0)).max).toBe(100);

    list.dropFront(2);
    expect(list.length).toBe(2);
    expect([list.startAt(0), list.endAt(1)]).toEqual([3 * 60_000, 6 * 60_000]);
  });

  it('saves in the snapshot format of a list of Accs, and loads it back', () => {
    const accs = [window(0, [1, 2, 3]), window(60_000, [4]), window(120_000, [])];
    const list = new AccList();
    accs.forEach((a) => list.push(a));
    const packed = new StateWriter();
    list.save(packed);
    const plain = new StateWriter();
    plain.accs(accs);
    expect(packed.numbers()).toEqual(plain.numbers());

    const loaded = new AccList();
    loaded.load(new StateReader(packed.numbers()));
    expect(Array.from({ length: loaded.length }, (_, i) => fields(loaded.read(i, new Acc(0, 0))))).toEqual(accs.map(fields));
  });

  it('keeps the same windows as a sorted array through inserts, growth past its expected size and drops', () => {
    const list = new AccList(1);
    const reference: Acc[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 2_000; step++) {
      if (next() < 0.2 && reference.length > 0) {
        const k = Math.floor(next() * Math.min(3, reference.length + 1));
        list.dropFront(k);
        reference.splice(0, k);
      } else {
        const start = Math.floor(next() * 40) * 60_000;
        const i = list.findOrInsert(start, start + 60_000);
        const w = list.read(i, new Acc(0, 0));
        w.add(next() * 100, start + 1_000, 'good', step);
        list.write(i, w);
        const at = reference.findIndex((a) => a.startMs >= start);
        if (at === -1 || reference[at]!.startMs !== start) reference.splice(at === -1 ? reference.length : at, 0, w);
        else reference[at] = w;
      }
    }
    expect(reference.length).toBeGreaterThan(16);
    expect(Array.from({ length: list.length }, (_, i) => fields(list.read(i, new Acc(0, 0))))).toEqual(reference.map(fields));
  });
});
