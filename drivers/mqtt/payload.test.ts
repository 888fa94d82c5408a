import { describe, expect, it } from 'vitest';
import { parseSensorMessage } from './payload.js';

const parse = (topic: string, payload: string) => parseSensorMessage('sensors', topic, Buffer.from(payload));

describe('MQTT sensor payloads', () => {
  it('takes a bare number for the topic metric', () => {
    expect(parse('sensors/pm25/s1', '12.5')).toEqual({ ok: true, values: [{ sensorId: 's1', metric: 'pm25', value: 12.5, unit: undefined, ts: undefined, quality: 'good' }] });
  });

  it('takes a value object with ts, unit and quality', () => {
    expect(parse('sensors/pm25/s1', '{"value":12.3,"ts":1764150000000,"unit":"ugm3","quality":"uncertain"}')).toEqual({
      ok: true, values: [{ sensorId: 's1', metric: 'pm25', value: 12.3, unit: 'ugm3', ts: 1764150000000, quality: 'uncertain' }],
    });
  });

  it('takes an ISO 8601 ts', () => {
    const parsed = parse('sensors/pm25/s1', '{"value":1,"ts":"2026-11-26T10:00:00Z"}');
    expect(parsed.ok && parsed.values[0]!.ts).toBe(Date.parse('2026-11-26T10:00:00Z'));
  });

  it('takes a values object, plain or with units, and ignores the metric level', () => {
    const parsed = parse('sensors/all/s1', '{"ts":1764150000000,"values":{"pm25":12.3,"temperature":{"value":71.6,"unit":"F"}}}');
    expect(parsed).toEqual({
      ok: true,
      values: [
        { sensorId: 's1', metric: 'pm25', value: 12.3, unit: undefined, ts: 1764150000000, quality: 'good' },
        { sensorId: 's1', metric: 'temperature', value: 71.6, unit: 'F', ts: 1764150000000, quality: 'good' },
      ],
    });
  });

  it.each([
    ['sensors/pm25', '1', /topic must be sensors\/\{metric\}\/\{sensorId\}/],
    ['sensors/pm25/s1/extra', '1', /topic must be/],
    ['sensors/pm25/s1', '', /empty payload/],
    ['sensors/pm25/s1', 'twelve', /neither a number nor JSON/],
    ['sensors/pm25/s1', '[1,2]', /must be a number or a JSON object/],
    ['sensors/pm25/s1', '{"value":"12"}', /value must be a number/],
    ['sensors/pm25/s1', '{"value":1,"ts":"yesterday"}', /ts must be/],
    ['sensors/pm25/s1', '{"value":1,"ts":-5}', /ts must be/],
    ['sensors/pm25/s1', '{"value":1,"quality":"great"}', /quality must be/],
    ['sensors/pm25/s1', '{"value":1,"unit":5}', /unit must be a string/],
    ['sensors/all/s1', '{"values":{}}', /values is empty/],
    ['sensors/all/s1', '{"values":{"pm25":"x"}}', /values\.pm25 must be a number/],
    ['sensors/all/s1', '{"value":3}', /needs a values object/],
  ])('rejects %s %s with a reason', (topic, payload, reason) => {
    const parsed = parse(topic, payload);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });
});
