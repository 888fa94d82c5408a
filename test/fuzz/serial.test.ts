import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFramer, Sds011Framer, checksum, decodeSds011 } from '../../drivers/serial/framing.js';
import { parseLine } from '../../drivers/serial/parse.js';
import { serialSchema, type LineFormat } from '../../drivers/serial/schema.js';
import { runs } from './runs.js';

// Issue 8 bad input: serial lines and frames as a noisy RS-232/USB line delivers them: any bytes, cut anywhere.
const chunked = (bytes: Uint8Array, cuts: number[]) => {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    out.push(Buffer.from(bytes.subarray(from, c)));
    from = c;
  }
  return out;
};
const frames = (framer: { push(b: Buffer): Array<{ kind: string; bytes: Buffer }> }, chunks: Buffer[]) =>
  chunks.flatMap((c) => framer.push(c)).filter((e) => e.kind === 'frame').map((e) => e.bytes.toString('hex'));

function sds011(pm25: number, pm10: number, id: number): Buffer {
  const f = Buffer.from([0xaa, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0xab]);
  f.writeUInt16LE(pm25, 2);
  f.writeUInt16LE(pm10, 4);
  f.writeUInt16BE(id, 6);
  f[8] = checksum(f);
  return f;
}

const formats = [
  serialSchema.parse({ type: 'serial', path: '/dev/null', sensorId: 's', format: { kind: 'json', fields: { pm25: 'pm25', 'a.b': { metric: 'no2', scale: 0.1 } }, tsField: 'ts', sensorIdField: 'id' } }).format,
  serialSchema.parse({ type: 'serial', path: '/dev/null', sensorId: 's', format: { kind: 'csv', columns: ['id', 'ts', 'pm25', 'temp'], fields: { pm25: 'pm25', temp: 'temperature' }, tsField: 'ts', sensorIdField: 'id' } }).format,
  serialSchema.parse({ type: 'serial', path: '/dev/null', sensorId: 's', format: { kind: 'regex', pattern: 'PM2\\.5=(?<pm>[-0-9.eE]+)(?: T=(?<t>\\S+))?', fields: { pm: 'pm25', t: 'temperature' } } }).format,
] as LineFormat[];

describe('fuzz: serial lines and frames', () => {
  it('line framing does not depend on how the bytes are chunked, and no frame is longer than the limit or holds the delimiter', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom('\n', '\r\n', ';'), (bytes, cuts, delimiter) => {
      const whole = frames(new LineFramer(delimiter, 32), [Buffer.from(bytes)]);
      const pieces = frames(new LineFramer(delimiter, 32), chunked(bytes, cuts));
      expect(pieces).toEqual(whole);
      for (const hex of whole) {
        const b = Buffer.from(hex, 'hex');
        expect(b.length).toBeLessThanOrEqual(32 + delimiter.length);
        expect(b.includes(Buffer.from(delimiter))).toBe(false);
      }
    }), { numRuns: runs(2_000) });
  });

  it('SDS011: chunking does not matter, only checksum-valid frames come out, and a frame amid noise without headers is found', () => {
    const noise = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b.map((x) => (x === 0xaa ? 0x55 : x))));
    fc.assert(fc.property(fc.array(fc.tuple(noise, fc.nat(0xffff), fc.nat(0xffff), fc.nat(0xffff)), { maxLength: 6 }), fc.uint8Array({ maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }),
      (parts, garbage, cuts) => {
        const stream = Buffer.concat([...parts.flatMap(([n, a, b, id]) => [n, sds011(a, b, id)]), Buffer.from(garbage)]);
        const whole = frames(new Sds011Framer(), [stream]);
        expect(frames(new Sds011Framer(), chunked(stream, cuts))).toEqual(whole);
        for (const [, a, b, id] of parts) expect(whole).toContain(sds011(a, b, id).toString('hex'));
        for (const hex of whole) {
          const f = Buffer.from(hex, 'hex');
          expect(f[8]).toBe(checksum(f));
          const sample = decodeSds011(f);
          expect(Number.isFinite(sample.pm25) && Number.isFinite(sample.pm10)).toBe(true);
        }
      }), { numRuns: runs(1_000) });
  });

  it('refuses a time field beyond the date range instead of overflowing it (found by the property below)', () => {
    for (const ts of ['-1.797693134862316e+305', '9e15', '1e300']) {
      const parsed = parseLine(formats[1]!, `,${ts},0,`);
      expect(parsed).toMatchObject({ ok: false, reason: expect.stringContaining('field "ts" is not a time') });
    }
    expect(parseLine(formats[1]!, 'a,1764115200,7,')).toMatchObject({ ok: true, ts: 1_764_115_200_000 });
  });

  it('line parsing (JSON, CSV, regex): a reason, or finite values of configured fields only', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.anything().map((v) => JSON.stringify(v) ?? ''),
      fc.record({ pm25: fc.oneof(fc.double(), fc.string({ maxLength: 6 })), a: fc.anything(), ts: fc.oneof(fc.double(), fc.string({ maxLength: 24 })), id: fc.anything() }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
      fc.tuple(fc.string({ maxLength: 8 }), fc.oneof(fc.double(), fc.string({ maxLength: 8 })), fc.oneof(fc.double(), fc.constantFrom('1e999', 'NaN', '', ' 5 ')), fc.string({ maxLength: 8 })).map((c) => c.join(',')),
      fc.tuple(fc.oneof(fc.double(), fc.constantFrom('1e400', '-', '.', 'e5')), fc.string({ maxLength: 10 })).map(([pm, t]) => `PM2.5=${pm} T=${t}`),
    );
    fc.assert(fc.property(fc.constantFrom(...formats), line, (format, text) => {
      const parsed = parseLine(format, text);
      if (!parsed.ok) return void expect(parsed.reason.length).toBeGreaterThan(0);
      expect(parsed.values.length).toBeGreaterThan(0);
      for (const v of parsed.values) {
        expect(Number.isFinite(v.value)).toBe(true);
        expect(Object.keys(format.fields)).toContain(v.field);
      }
      if (parsed.ts !== undefined) expect(Number.isFinite(parsed.ts)).toBe(true);
    }), { numRuns: runs(4_000) });
  });
});
