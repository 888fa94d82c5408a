import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SampledLog } from './sampled-log.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, log: pino({ level: 'warn' }, stream) };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('SampledLog', () => {
  it('logs the first lines of a key per period, then one line with how many it left out', async () => {
    const { lines, log } = capture();
    let now = 0;
    const sampled = new SampledLog(log, { burst: 3, periodMs: 1_000, now: () => now });
    for (let i = 0; i < 10; i++) sampled.warn('sensors/pm25/a', { topic: 'sensors/pm25/a', i }, 'payload quarantined');
    sampled.warn('sensors/pm25/b', { topic: 'sensors/pm25/b' }, 'payload quarantined');
    await settle();
    expect(lines.map((l) => [l.topic, l.i])).toEqual([['sensors/pm25/a', 0], ['sensors/pm25/a', 1], ['sensors/pm25/a', 2], ['sensors/pm25/b', undefined]]);

    now = 1_000;
    sampled.warn('sensors/pm25/a', { topic: 'sensors/pm25/a', i: 10 }, 'payload quarantined');
    await settle();
    expect(lines.slice(4).map((l) => [l.key ?? l.topic, l.suppressed ?? l.i, l.msg])).toEqual([
      ['sensors/pm25/a', 7, 'payload quarantined: 7 more like it not logged'],
      ['sensors/pm25/a', 10, 'payload quarantined'],
    ]);
    sampled.stop();
  });

  it('reports a period that ended with no line after it, and everything held on stop', async () => {
    const { lines, log } = capture();
    let now = 0;
    const sampled = new SampledLog(log, { burst: 1, periodMs: 1_000, now: () => now });
    for (let i = 0; i < 5; i++) sampled.warn('x', {}, 'reading rejected');
    for (let i = 0; i < 3; i++) sampled.warn('y', {}, 'reading rejected');
    now = 1_500;
    sampled.reportEnded();
    await settle();
    expect(lines.map((l) => [l.key, l.suppressed])).toEqual([[undefined, undefined], [undefined, undefined], ['x', 4], ['y', 2]]);
    sampled.warn('z', {}, 'reading rejected');
    sampled.warn('z', {}, 'reading rejected');
    sampled.stop();
    await settle();
    expect(lines.slice(4).map((l) => [l.key, l.suppressed])).toEqual([[undefined, undefined], ['z', 1]]);
  });

  it('puts keys past maxKeys in one shared bucket, so a flood of distinct topics stays bounded', async () => {
    const { lines, log } = capture();
    const sampled = new SampledLog(log, { burst: 1, periodMs: 60_000, maxKeys: 2, now: () => 0 });
    for (let i = 0; i < 100; i++) sampled.warn(`topic-${i}`, { i }, 'payload quarantined');
    sampled.stop();
    await settle();
    expect(lines.filter((l) => l.suppressed === undefined).map((l) => l.i)).toEqual([0, 1, 2]);
    expect(lines.find((l) => l.key === '(other)')?.suppressed).toBe(97);
  });
});
