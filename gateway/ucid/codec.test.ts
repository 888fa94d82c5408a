import fc from 'fast-check';
import { latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { encodeUcid, gradeFor, isoWeekHour, parseUcid, ucidPointForCell, UcidEncodeError, UcidParseError } from './codec.js';

/** The DESIGN §3 example, as published with the reference implementation. */
const DESIGN_EXAMPLE = 'UCID-V1:IST:+41.015:+28.979:9:891f2ed6df7ffff:2026W01T12:15MIN:A:0.95:';
/** The same point and time with the cell h3-js really computes for (41.015, 28.979) at res 9. */
const VALID = 'UCID-V1:IST:+41.015:+28.979:9:891ec90243bffff:2026W01T12:15MIN:A:0.95:';
const TIME_2026W01T12 = Date.parse('2026-01-01T12:20:00Z');

function withField(index: number, value: string): string {
  const parts = VALID.split(':');
  parts[index] = value;
  return parts.join(':');
}

describe('the DESIGN §3 example vector', () => {
  it('is not strictly valid: 891f2ed6df7ffff is no H3 cell at all, and the point lies in 891ec90243bffff', () => {
    // Its resolution-8 digit is 7, which H3 never uses below the cell's resolution, so isValidCell is false.
    expect(() => parseUcid(DESIGN_EXAMPLE)).toThrow(expect.objectContaining({ field: 'H3_INDEX', code: 'INVALID_CELL' }));
    expect(latLngToCell(41.015, 28.979, 9)).toBe('891ec90243bffff');
  });

  it('parses in non-strict mode', () => {
    expect(parseUcid(DESIGN_EXAMPLE, { strict: false })).toEqual({
      city: 'IST', lat: 41.015, lon: 28.979, h3Res: 9, h3Index: '891f2ed6df7ffff', time: '2026W01T12',
      timeParts: { weekYear: 2026, week: 1, hour: 12 }, context: '15MIN', grade: 'A', confidence: 0.95, flags: [],
    });
  });

  it('is what the encoder writes for that point once the cell is right', () => {
    const encoded = encodeUcid({
      city: 'IST', lat: 41.015, lon: 28.979, timeMs: TIME_2026W01T12, context: '15MIN', score: 85, confidence: 0.95, flags: [],
    });
    expect(encoded).toBe(VALID);
    expect(parseUcid(VALID).h3Index).toBe('891ec90243bffff');
  });
});

describe('parseUcid rejects a malformed value in each field, naming it', () => {
  it.each([
    ['PREFIX', 'UCID-V2' + VALID.slice(7)],
    ['PREFIX', 'ucid-v1' + VALID.slice(7)],
    ['PREFIX', ''],
    ['FIELD_COUNT', VALID.slice(0, -1)],
    ['FIELD_COUNT', VALID + 'EXTRA'.replace(/^/, ':')],
    ['CITY', withField(1, 'ist')],
    ['CITY', withField(1, 'ISTA')],
    ['CITY', withField(1, 'I5T')],
    ['LAT', withField(2, '41.015')],
    ['LAT', withField(2, '+41.01')],
    ['LAT', withField(2, '+41.0150')],
    ['LAT', withField(2, '+041.015')],
    ['LAT', withField(2, '+90.001')],
    ['LAT', withField(2, '+1e1')],
    ['LON', withField(3, '28.979')],
    ['LON', withField(3, '+28.98')],
    ['LON', withField(3, '-180.001')],
    ['LON', withField(3, '+ 28.979')],
    ['H3_RES', withField(4, '16')],
    ['H3_RES', withField(4, '09')],
    ['H3_RES', withField(4, '-1')],
    ['H3_RES', withField(4, '')],
    ['H3_INDEX', withField(5, '891EC90243BFFFF')],
    ['H3_INDEX', withField(5, '891ec90243bfff')],
    ['H3_INDEX', withField(5, '891ec90243bfffg')],
    ['TIME', withField(6, '2026W1T12')],
    ['TIME', withField(6, '2025W53T12')],
    ['TIME', withField(6, '2026W01T24')],
    ['CONTEXT', withField(7, '15min')],
    ['CONTEXT', withField(7, 'CONTEXT09')],
    ['CONTEXT', withField(7, '')],
    ['GRADE', withField(8, 'E')],
    ['GRADE', withField(8, 'A-')],
    ['GRADE', withField(8, 'a')],
    ['CONF', withField(9, '0.9')],
    ['CONF', withField(9, '0.950')],
    ['CONF', withField(9, '1.01')],
    ['CONF', withField(9, '.95')],
    ['CONF', withField(9, '-0.00')],
    ['FLAGS', withField(10, 'stale')],
    ['FLAGS', withField(10, 'STALE;PARTIAL')],
    ['FLAGS', withField(10, 'STALE;STALE')],
    ['FLAGS', withField(10, 'PARTIAL;;STALE')],
    ['FLAGS', withField(10, 'LOW-CONF')],
  ])('%s: %s', (field, text) => {
    expect(() => parseUcid(text, { strict: false })).toThrow(expect.objectContaining({ field }));
  });

  it('throws UcidParseError with a code and a message that starts with the field', () => {
    const error = (() => { try { parseUcid(withField(9, '0.9')); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(UcidParseError);
    expect(error).toMatchObject({ field: 'CONF', code: 'INVALID_FORMAT', name: 'UcidParseError' });
    expect((error as Error).message).toMatch(/^CONF: /);
  });

  it.each([
    ['INVALID_CELL', withField(5, '891f2ed6df7ffff')],
    ['RES_MISMATCH', withField(5, '8a1ec90243a7fff')],
    ['H3_MISMATCH', withField(2, '+41.025')],
    ['H3_MISMATCH', withField(4, '8').replace('891ec90243bffff', '881ec90241fffff')],
  ])('strict mode names H3_INDEX when the cell does not hold the point (%s)', (code, text) => {
    expect(() => parseUcid(text)).toThrow(expect.objectContaining({ field: 'H3_INDEX', code }));
  });

  it('accepts flags, both coordinate signs, and -0.000', () => {
    const parsed = parseUcid(withField(10, 'LOW_CONF;PARTIAL;STALE'));
    expect(parsed.flags).toEqual(['LOW_CONF', 'PARTIAL', 'STALE']);
    const south = encodeUcid({ city: 'SYD', lat: -33.868, lon: 151.209, timeMs: 0, context: 'TRANSIT', score: 55, confidence: 0.7 });
    expect(parseUcid(south)).toMatchObject({ lat: -33.868, lon: 151.209, grade: 'D', time: '1970W01T00' });
    expect(Object.is(parseUcid(VALID.replace('+28.979', '-0.000'), { strict: false }).lon, 0)).toBe(true);
  });
});

describe('encodeUcid', () => {
  const base = { city: 'IST', lat: 41.015, lon: 28.979, timeMs: TIME_2026W01T12, context: 'CLIMATE', score: 72.4, confidence: 0.876 };

  it('writes sorted unique flags, 2-decimal confidence, the grade, and always the trailing colon', () => {
    expect(encodeUcid({ ...base, flags: ['STALE', 'PARTIAL', 'STALE'] })).toBe(
      'UCID-V1:IST:+41.015:+28.979:9:891ec90243bffff:2026W01T12:CLIMATE:B:0.88:PARTIAL;STALE',
    );
    expect(encodeUcid(base).endsWith(':0.88:')).toBe(true);
  });

  it('moves a point whose rounding leaves its cell to an in-cell point', () => {
    // (41.358593, 29.869386) lies in 892d264321bffff, but (41.359, 29.869) does not.
    expect(latLngToCell(41.359, 29.869, 9)).not.toBe('892d264321bffff');
    const parsed = parseUcid(encodeUcid({ ...base, lat: 41.358593, lon: 29.869386 }));
    expect(parsed).toMatchObject({ h3Index: '892d264321bffff', lat: 41.357, lon: 29.87 });
  });

  it('takes a cell instead of a point', () => {
    const parsed = parseUcid(encodeUcid({ ...base, lat: undefined, lon: undefined, cell: '891ec90243bffff' }));
    expect(parsed).toMatchObject({ h3Index: '891ec90243bffff', h3Res: 9, lat: 41.014, lon: 28.98 });
    expect(() => encodeUcid({ ...base, lat: undefined, lon: undefined, cell: '891ec90243bffff', h3Res: 8 }))
      .toThrow(expect.objectContaining({ field: 'H3_RES', code: 'RES_MISMATCH' }));
  });

  it('refuses a cell that holds no 3-decimal point instead of writing an invalid string', () => {
    expect(() => encodeUcid({ ...base, lat: 41.0153, lon: 28.9794, h3Res: 13 })).toThrow(
      expect.objectContaining({ field: 'H3_INDEX', code: 'NO_GRID_POINT_IN_CELL', message: expect.stringMatching(/coarser/) }),
    );
  });

  it.each([
    ['CITY', { city: 'Ist' }],
    ['CONTEXT', { context: 'climate' }],
    ['SCORE', { score: 100.5 }],
    ['SCORE', { score: Number.NaN }],
    ['CONF', { confidence: 1.2 }],
    ['FLAGS', { flags: ['low conf'] }],
    ['LAT', { lat: 91 }],
    ['LON', { lon: Number.POSITIVE_INFINITY }],
    ['H3_RES', { h3Res: 16 }],
    ['TIME', { timeMs: Number.NaN }],
  ])('rejects a bad %s', (field, change) => {
    expect(() => encodeUcid({ ...base, ...change })).toThrow(expect.objectContaining({ field, name: 'UcidEncodeError' }));
    expect(() => encodeUcid({ ...base, ...change })).toThrow(UcidParseError);
  });
});

describe('gradeFor (DESIGN §3)', () => {
  it.each([
    [100, 'A+'], [90, 'A+'], [89.999, 'A'], [80, 'A'], [79.999, 'B'], [70, 'B'], [69.99, 'C'], [60, 'C'],
    [59.9, 'D'], [50, 'D'], [49.999, 'F'], [0, 'F'],
  ])('%d → %s', (score, grade) => {
    expect(gradeFor(score)).toBe(grade);
  });
});

describe('every string the encoder writes re-parses strictly and round-trips', () => {
  const minMs = Date.parse('0001-01-08T00:00:00Z');
  const maxMs = Date.parse('9999-12-20T00:00:00Z');
  const input = fc.record({
    city: fc.stringMatching(/^[A-Z]{3}$/),
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
    h3Res: fc.integer({ min: 0, max: 10 }),
    timeMs: fc.integer({ min: minMs, max: maxMs }),
    context: fc.stringMatching(/^[A-Z0-9]{1,8}$/),
    score: fc.double({ min: 0, max: 100, noNaN: true }),
    confidence: fc.double({ min: 0, max: 1, noNaN: true }),
    flags: fc.array(fc.stringMatching(/^[A-Z0-9_]{1,10}$/), { maxLength: 4 }),
  });

  it('for random point, resolution 0–10, time, score, confidence and flags', () => {
    let refused = 0;
    fc.assert(
      fc.property(input, (value) => {
        let text: string;
        try {
          text = encodeUcid(value);
        } catch (error) {
          // Some resolution-10 cells hold no 0.001° grid point (~1% of them, nearer the equator);
          // cell-point.test.ts checks the search against a brute-force scan.
          expect(error).toBeInstanceOf(UcidEncodeError);
          expect(error).toMatchObject({ code: 'NO_GRID_POINT_IN_CELL' });
          expect(value.h3Res).toBe(10);
          expect(ucidPointForCell(latLngToCell(value.lat, value.lon, value.h3Res))).toBeNull();
          refused++;
          return;
        }
        const parsed = parseUcid(text);
        expect(parsed).toMatchObject({
          city: value.city, h3Res: value.h3Res, h3Index: latLngToCell(value.lat, value.lon, value.h3Res),
          time: isoWeekHour(value.timeMs), context: value.context, grade: gradeFor(value.score),
          confidence: Number(value.confidence.toFixed(2)), flags: [...new Set(value.flags)].sort(),
        });
        const again = encodeUcid({ ...value, lat: parsed.lat, lon: parsed.lon, flags: parsed.flags });
        expect(again).toBe(text);
      }),
      { numRuns: 3_000 },
    );
    expect(refused).toBeLessThan(100);
  });
});
