import { describe, expect, it } from 'vitest';
import { checksum, decodeSds011, LineFramer, Sds011Framer, type FrameEvent } from '../drivers/serial/framing.js';
import { parseLine } from '../drivers/serial/parse.js';
import { serialSchema, type LineFormat } from '../drivers/serial/schema.js';
import { sds011Frame } from './peers/sds011.js';

const kinds = (events: FrameEvent[]) => events.map((e) => (e.kind === 'frame' ? 'frame' : e.reason));
const format = (f: Record<string, unknown>): LineFormat => {
  const config = serialSchema.parse({ type: 'serial', path: '/dev/null', sensorId: 's', format: f });
  if (config.format.kind === 'sds011') throw new Error('not a line format');
  return config.format;
};

describe('SDS011 framing', () => {
  it('decodes the datasheet example frame', () => {
    // Datasheet v1.3 example: AA C0 D4 04 3A 0A A1 60 1D AB → PM2.5 123.6, PM10 261.8.
    const frame = Buffer.from([0xaa, 0xc0, 0xd4, 0x04, 0x3a, 0x0a, 0xa1, 0x60, 0x1d, 0xab]);
    expect(checksum(frame)).toBe(0x1d);
    expect(decodeSds011(frame)).toEqual({ pm25: 123.6, pm10: 261.8, deviceId: 0xa160 });
  });

  it('skips garbage, bad checksums and partial frames and resyncs on the next header', () => {
    const framer = new Sds011Framer();
    const bad = sds011Frame(1, 2);
    bad[8] = (bad[8]! + 1) & 0xff;
    const good = sds011Frame(12.3, 45.6);
    const stream = Buffer.concat([Buffer.from('noise\xaa'), bad, good, Buffer.from([0xaa, 0xc0, 0x01]), sds011Frame(7, 8)]);
    const events: FrameEvent[] = [];
    for (let i = 0; i < stream.length; i += 3) events.push(...framer.push(stream.subarray(i, i + 3)));
    const frames = events.filter((e) => e.kind === 'frame').map((e) => decodeSds011(e.bytes));
    expect(frames.map((f) => [f.pm25, f.pm10])).toEqual([[12.3, 45.6], [7, 8]]);
    expect(kinds(events)).toContain('checksum');
    expect(kinds(events)[0]).toBe('garbage');
  });

  it('finds a frame hidden right after a false header', () => {
    const framer = new Sds011Framer();
    const events = framer.push(Buffer.concat([Buffer.from([0xaa, 0xc0, 0xaa]), sds011Frame(5, 6)]));
    expect(events.filter((e) => e.kind === 'frame')).toHaveLength(1);
  });
});

describe('line framing', () => {
  it('splits lines across chunks, drops CR and discards an over-long run up to the next delimiter', () => {
    const framer = new LineFramer('\n', 16);
    const events = [
      ...framer.push(Buffer.from('{"a":1}\r\n{"a"')),
      ...framer.push(Buffer.from(':2}\n' + 'x'.repeat(40))),
      ...framer.push(Buffer.from('yyy\nok\n')),
    ];
    expect(events.map((e) => (e.kind === 'frame' ? e.bytes.toString() : e.reason))).toEqual(['{"a":1}', '{"a":2}', 'overflow', 'ok']);
  });
});

describe('line parsers', () => {
  it('json: dotted fields, scale, sensor id and time fields', () => {
    const f = format({ kind: 'json', fields: { pm25: { metric: 'pm25', unit: 'µg/m³' }, 'env.t': { metric: 'temperature', scale: 0.1 } }, sensorIdField: 'id', tsField: 'ts' });
    const parsed = parseLine(f, '{"id":"n1","ts":1700000000,"pm25":9.5,"env":{"t":215}}');
    expect(parsed).toEqual({ ok: true, sensorId: 'n1', ts: 1_700_000_000_000, values: [
      { field: 'pm25', mapping: { metric: 'pm25', unit: 'µg/m³', scale: 1, offset: 0 }, value: 9.5 },
      { field: 'env.t', mapping: { metric: 'temperature', unit: '', scale: 0.1, offset: 0 }, value: 21.5 },
    ] });
    expect(parseLine(f, '{"id":"n1","ts":1,"pm25":"high"}')).toMatchObject({ ok: false, reason: expect.stringContaining('"pm25" is not a number') });
    expect(parseLine(f, '[1,2]')).toMatchObject({ ok: false });
    expect(parseLine(f, '{"id":"n1","ts":1,"other":3}')).toMatchObject({ ok: false, reason: expect.stringContaining('none of the configured fields') });
  });

  it('csv: named columns, column count checked', () => {
    const f = format({ kind: 'csv', columns: ['id', 'pm25', 'no2'], fields: { pm25: 'pm25', no2: { metric: 'no2', unit: 'ppb' } }, sensorIdField: 'id' });
    expect(parseLine(f, 'n7, 3.5 ,20')).toMatchObject({ ok: true, sensorId: 'n7', values: [{ value: 3.5 }, { value: 20 }] });
    expect(parseLine(f, 'n7,3.5')).toMatchObject({ ok: false, reason: 'expected 3 columns, got 2' });
  });

  it('regex: named groups', () => {
    const f = format({ kind: 'regex', pattern: '^PM2\\.5=(?<pm25>[\\d.]+) PM10=(?<pm10>[\\d.]+)$', fields: { pm25: 'pm25', pm10: 'pm10' } });
    expect(parseLine(f, 'PM2.5=4.2 PM10=9.9')).toMatchObject({ ok: true, values: [{ value: 4.2 }, { value: 9.9 }] });
    expect(parseLine(f, 'PM2.5=? PM10=9.9')).toMatchObject({ ok: false, reason: 'no match for the pattern' });
  });

  it('config: fields must name csv columns or regex groups', () => {
    const csv = serialSchema.safeParse({ type: 'serial', path: '/dev/ttyUSB0', sensorId: 's', format: { kind: 'csv', columns: ['a'], fields: { b: 'pm25' } } });
    expect(csv.error?.issues[0]?.message).toContain('"b" is not a column');
    const regex = serialSchema.safeParse({ type: 'serial', path: '/dev/ttyUSB0', sensorId: 's', format: { kind: 'regex', pattern: '(unclosed', fields: { a: 'pm25' } } });
    expect(regex.success).toBe(false);
  });
});
