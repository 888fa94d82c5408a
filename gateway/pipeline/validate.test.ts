import { describe, expect, it } from 'vitest';
import type { Reading } from '../reading.js';
import { ReadingValidator } from './validate.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const validator = new ReadingValidator({ noise_db: { unit: 'dBA', aliases: [], min: 20, max: 140 } }, { maxFutureSkewMs: 120_000, maxAgeMs: 7 * 86_400_000 });
const reading = (over: Partial<Reading>): Reading => ({
  sensorId: 's1', metric: 'pm25', value: 10, unit: 'ugm3', ts: NOW, quality: 'good', source: 'test', receivedAt: NOW, ...over,
});

describe('reading validation', () => {
  it('accepts a canonical reading unchanged', () => {
    const r = reading({});
    expect(validator.validate(r, NOW)).toEqual({ ok: true, reading: r });
  });

  it('fills the canonical unit when none was sent and accepts aliases', () => {
    expect(validator.validate(reading({ unit: '' }), NOW)).toMatchObject({ ok: true, reading: { unit: 'ugm3' } });
    expect(validator.validate(reading({ unit: 'µg/m³' }), NOW)).toMatchObject({ ok: true, reading: { unit: 'ugm3' } });
  });

  it('converts Fahrenheit and Kelvin to Celsius', () => {
    expect(validator.validate(reading({ metric: 'temperature', value: 50, unit: 'F' }), NOW)).toMatchObject({ ok: true, reading: { value: 10, unit: 'C' } });
    expect(validator.validate(reading({ metric: 'temperature', value: 273.15, unit: 'K' }), NOW)).toMatchObject({ ok: true, reading: { value: 0, unit: 'C' } });
  });

  it.each([
    [{ value: Number.NaN }, /not a finite number/],
    [{ value: Number.POSITIVE_INFINITY }, /not a finite number/],
    [{ value: -1 }, /outside 0\.\.2000/],
    [{ unit: 'ppm' }, /unit "ppm" is not ugm3/],
    [{ ts: NOW + 600_000 }, /600 s in the future/],
    [{ ts: NOW - 8 * 86_400_000 }, /older than the accepted age/],
    [{ metric: 'PM 2.5' }, /metric "PM 2.5" must be lowercase/],
    [{ sensorId: 'a/b' }, /sensor id "a\/b" has characters/],
    [{ metric: 'noise_db', value: 10, unit: 'dBA' }, /outside 20\.\.140/],
  ])('rejects %o', (over, reason) => {
    const result = validator.validate(reading(over), NOW);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('accepts metrics it does not know, as sent', () => {
    expect(validator.validate(reading({ metric: 'bike_count', unit: 'bikes', value: 4 }), NOW)).toMatchObject({ ok: true });
  });
});
