import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UcidParseError } from './errors.js';
import { isoWeekHour, isoWeekHourStartMs, isoWeekParts, isoWeeksInYear, parseIsoWeekHour } from './iso-week.js';

const HOUR_MS = 3_600_000;

describe('isoWeekHour (UCID-V1 TIME, UTC)', () => {
  it.each([
    ['2026-01-01T00:00:00Z', '2026W01T00'], // Thursday: week 1 of 2026
    ['2025-12-29T00:00:00Z', '2026W01T00'], // Monday of 2026W01, still calendar 2025
    ['2025-12-28T23:59:59.999Z', '2025W52T23'],
    ['2027-01-01T12:30:00Z', '2026W53T12'], // 2026 has 53 ISO weeks
    ['2026-12-31T23:00:00Z', '2026W53T23'],
    ['2024-12-30T05:00:00Z', '2025W01T05'], // Monday, belongs to 2025
    ['2021-01-03T23:59:00Z', '2020W53T23'], // Sunday, last day of 2020W53
    ['2021-01-04T00:00:00Z', '2021W01T00'],
    ['0050-06-15T10:00:00Z', '0050W24T10'], // two-digit years are not mapped to 19xx
  ])('%s is %s', (iso, expected) => {
    expect(isoWeekHour(Date.parse(iso))).toBe(expected);
  });

  it('ignores the local time zone', () => {
    expect(isoWeekHour(Date.parse('2026-03-02T00:15:00+03:00'))).toBe('2026W09T21');
  });

  it('rejects week-years that do not fit in four digits', () => {
    expect(() => isoWeekHour(Date.parse('+010000-06-01T00:00:00Z'))).toThrow(UcidParseError);
  });
});

describe('isoWeekHourStartMs (inverse)', () => {
  it.each([
    ['2026W01T12', '2025-12-29T12:00:00.000Z'],
    ['2026W53T00', '2026-12-28T00:00:00.000Z'],
    ['2025W01T00', '2024-12-30T00:00:00.000Z'],
    ['2020W53T23', '2020-12-28T23:00:00.000Z'],
  ])('%s starts on Monday at %s', (text, iso) => {
    expect(new Date(isoWeekHourStartMs(text)).toISOString()).toBe(iso);
  });

  it('takes the ISO weekday that TIME itself does not carry', () => {
    expect(new Date(isoWeekHourStartMs('2020W53T23', 7)).toISOString()).toBe('2021-01-03T23:00:00.000Z');
    expect(isoWeekParts(Date.parse('2021-01-03T23:59:00Z'))).toEqual({ weekYear: 2020, week: 53, weekday: 7, hour: 23 });
    expect(() => isoWeekHourStartMs('2026W01T00', 8)).toThrow(RangeError);
  });

  it('with the weekday, is the start of the hour for any instant', () => {
    const minMs = Date.parse('0001-01-08T00:00:00Z');
    const maxMs = Date.parse('9999-12-20T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: minMs, max: maxMs }), (timeMs) => {
        expect(isoWeekHourStartMs(isoWeekHour(timeMs), isoWeekParts(timeMs).weekday)).toBe(Math.floor(timeMs / HOUR_MS) * HOUR_MS);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('parseIsoWeekHour', () => {
  it('knows which years have 53 weeks', () => {
    expect([2004, 2009, 2015, 2020, 2026].map(isoWeeksInYear)).toEqual([53, 53, 53, 53, 53]);
    expect([2021, 2022, 2023, 2024, 2025].map(isoWeeksInYear)).toEqual([52, 52, 52, 52, 52]);
  });

  it.each([
    ['2025W53T00', 'INVALID_WEEK'],
    ['2026W00T00', 'INVALID_WEEK'],
    ['2026W54T00', 'INVALID_WEEK'],
    ['2026W01T24', 'INVALID_HOUR'],
    ['2026W1T12', 'INVALID_FORMAT'],
    ['2026-W01T12', 'INVALID_FORMAT'],
    ['26W01T12', 'INVALID_FORMAT'],
    ['2026W01T12Z', 'INVALID_FORMAT'],
  ])('rejects %s (%s)', (text, code) => {
    expect(() => parseIsoWeekHour(text)).toThrow(expect.objectContaining({ field: 'TIME', code }));
  });
});
