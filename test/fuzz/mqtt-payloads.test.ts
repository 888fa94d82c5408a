import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSensorMessage } from '../../drivers/mqtt/payload.js';
import { ReadingValidator } from '../../gateway/pipeline/validate.js';
import { runs } from './runs.js';

// Issue 8 bad input: MQTT payloads and topics as sensors (or attackers) send them. The parser and the
// validator behind it never throw, and nothing non-finite gets through.
const validator = new ReadingValidator({}, { maxFutureSkewMs: 120_000, maxAgeMs: 7 * 86_400_000 });
const NOW = Date.UTC(2026, 5, 1, 12);

/** Whatever a payload is, the parse is a value list or a reason; what passes validation is finite and named. */
function check(topic: string, payload: Buffer): void {
  const parsed = parseSensorMessage('sensors', topic, payload);
  if (!parsed.ok) {
    expect(typeof parsed.reason).toBe('string');
    expect(parsed.reason.length).toBeGreaterThan(0);
    return;
  }
  expect(parsed.values.length).toBeGreaterThan(0);
  for (const v of parsed.values) {
    expect(typeof v.value).toBe('number');
    const checked = validator.validate({
      sensorId: v.sensorId, metric: v.metric, value: v.value, unit: v.unit ?? '', ts: v.ts ?? NOW, tsFromArrival: v.ts === undefined,
      quality: v.quality, source: 'fuzz', receivedAt: NOW,
    }, NOW);
    if (checked.ok) {
      expect(Number.isFinite(checked.reading.value)).toBe(true);
      expect(Number.isFinite(checked.reading.ts)).toBe(true);
      expect(checked.reading.ts).toBeLessThanOrEqual(NOW + 120_000);
    } else {
      expect(checked.reason.length).toBeGreaterThan(0);
    }
  }
}

const level = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('pm25', 'all', 'temperature', '', '+', '#', '..', '\u0000', 'ü'));
const topic = fc.oneof(
  fc.array(level, { minLength: 0, maxLength: 6 }).map((l) => l.join('/')),
  fc.tuple(level, level).map(([m, s]) => `sensors/${m}/${s}`),
  fc.string({ maxLength: 40 }),
);
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(1e308, -1e308, 0, -0), fc.double({ noNaN: true, min: -1e6, max: 1e6 }));
const tsValue = fc.oneof(fc.integer({ min: -1e13, max: 1e14 }), fc.double(), fc.string({ maxLength: 30 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constant(null));
const single = fc.record({
  value: fc.oneof(number, fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean()),
  ts: tsValue, unit: fc.oneof(fc.constantFrom('ugm3', 'C', 'F', 'K', 'ms', 's', '°C', ''), fc.string({ maxLength: 6 }), fc.integer()),
  quality: fc.oneof(fc.constantFrom('good', 'uncertain', 'bad'), fc.string({ maxLength: 8 })),
}, { requiredKeys: [] });
const multi = fc.record({ ts: tsValue, values: fc.oneof(fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(number, single)), fc.anything()) }, { requiredKeys: ['values'] });
const jsonPayload = fc.oneof(single, multi, fc.anything(), number).map((v) => {
  try {
    return Buffer.from(JSON.stringify(v) ?? 'undefined');
  } catch {
    return Buffer.from('{}');
  }
});
const textPayload = fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('1e999', '-1e999', 'NaN', '12.5', ' 7 ', '{"value":1e400}', '{"value":12,"ts":1e400}', '[]', 'null', '"12"'))
  .map((s) => Buffer.from(s));
const payload = fc.oneof(jsonPayload, textPayload, fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)));

describe('fuzz: MQTT payloads and topics', () => {
  it('arbitrary topics and payloads: a reason or values, never a throw; what validates is finite and not from the far future', () => {
    fc.assert(fc.property(topic, payload, (t, p) => check(t, p)), { numRuns: runs(3_000) });
  });

  it('well-formed messages come back exactly', () => {
    const metric = fc.constantFrom('pm25', 'no2', 'temperature', 'delay_s');
    const sensor = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/);
    fc.assert(fc.property(metric, sensor, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1, max: 4e12 }), (m, s, value, ts) => {
      const parsed = parseSensorMessage('sensors', `sensors/${m}/${s}`, Buffer.from(JSON.stringify({ value, ts })));
      expect(parsed).toEqual({ ok: true, values: [{ sensorId: s, metric: m, value: value === 0 ? 0 : value, unit: undefined, ts, quality: 'good' }] });
    }), { numRuns: runs(500) });
  });
});
