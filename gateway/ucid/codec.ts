import { loadH3 } from './h3.js';
import { requireUcidPoint, ucidCellFor, type UcidCell } from './cell-point.js';
import { UcidEncodeError, UcidParseError, type UcidField } from './errors.js';
import { gradeFor, isGrade, type Grade } from './grade.js';
import { isoWeekHour, parseIsoWeekHour, type IsoWeekHour } from './iso-week.js';

export { formatMillidegrees, ucidCellFor, ucidPointForCell, type UcidCell } from './cell-point.js';
export { UcidEncodeError, UcidParseError, type UcidField } from './errors.js';
export { GRADES, gradeFor, type Grade } from './grade.js';
export {
  isoWeekHour, isoWeekHourStartMs, isoWeekParts, isoWeeksInYear, parseIsoWeekHour, type IsoWeekHour, type IsoWeekParts,
} from './iso-week.js';

/** UCID-V1 (DESIGN §3): PREFIX:CITY:LAT:LON:H3_RES:H3_INDEX:TIME:CONTEXT:GRADE:CONF:FLAGS. */
export const UCID_PREFIX = 'UCID-V1';
export const DEFAULT_H3_RES = 9;
const FIELD_COUNT = 11;

const CITY_PATTERN = /^[A-Z]{3}$/;
const LAT_PATTERN = /^[+-](?:0|[1-9]\d?)\.\d{3}$/;
const LON_PATTERN = /^[+-](?:0|[1-9]\d{0,2})\.\d{3}$/;
const H3_RES_PATTERN = /^(?:0|[1-9]\d?)$/;
const H3_INDEX_PATTERN = /^[0-9a-f]{15}$/;
const CONTEXT_PATTERN = /^[A-Z0-9]{1,8}$/;
const CONF_PATTERN = /^(?:0\.\d{2}|1\.00)$/;
const FLAG_PATTERN = /^[A-Z0-9_]+$/;

export interface UcidFields {
  city: string;
  lat: number;
  lon: number;
  h3Res: number;
  h3Index: string;
  /** TIME as written, `YYYYWwwThh` (UTC); see isoWeekHourStartMs for instants. */
  time: string;
  timeParts: IsoWeekHour;
  context: string;
  grade: Grade;
  confidence: number;
  flags: string[];
}

export interface ParseUcidOptions {
  /** Also require a valid cell of H3_RES that holds (LAT, LON). Default true. */
  strict?: boolean;
}

interface EncodeUcidCommon {
  city: string;
  timeMs: number;
  context: string;
  /** 0–100; GRADE is derived from it. */
  score: number;
  /** 0–1; written with 2 decimals. */
  confidence: number;
  flags?: readonly string[];
}

/** Either a raw point (its cell at `h3Res`, default 9) or a cell; the written LAT/LON always lie inside the cell. */
export type EncodeUcidInput = EncodeUcidCommon &
  ({ lat: number; lon: number; h3Res?: number; cell?: undefined } | { cell: string; h3Res?: number; lat?: undefined; lon?: undefined });

function fail(field: UcidField, code: string, message: string): never {
  throw new UcidParseError(field, code, message);
}

function parseCoordinate(field: 'LAT' | 'LON', text: string, pattern: RegExp, limitDegrees: number): number {
  if (!pattern.test(text)) fail(field, 'INVALID_FORMAT', `expected an explicit sign and exactly 3 decimals (e.g. +41.015), got '${text}'`);
  const value = Number(text);
  if (Math.abs(value) > limitDegrees) fail(field, 'OUT_OF_RANGE', `${text} is not within ±${limitDegrees}`);
  return value === 0 ? 0 : value;
}

function parseFlags(text: string): string[] {
  if (text === '') return [];
  const flags = text.split(';');
  flags.forEach((flag, i) => {
    if (!FLAG_PATTERN.test(flag)) fail('FLAGS', 'INVALID_FORMAT', `flag ${i + 1} '${flag}' does not match [A-Z0-9_]+`);
    if (i > 0 && flags[i - 1]! >= flag) {
      fail('FLAGS', flags[i - 1] === flag ? 'DUPLICATE' : 'UNSORTED', `flags must be sorted and unique, got '${text}'`);
    }
  });
  return flags;
}

function checkCellHoldsPoint(h3Index: string, h3Res: number, lat: number, lon: number): void {
  const { getResolution, isValidCell, latLngToCell } = loadH3();
  if (!isValidCell(h3Index)) fail('H3_INDEX', 'INVALID_CELL', `'${h3Index}' is not a valid H3 cell`);
  const cellRes = getResolution(h3Index);
  if (cellRes !== h3Res) fail('H3_INDEX', 'RES_MISMATCH', `cell ${h3Index} has resolution ${cellRes}, H3_RES says ${h3Res}`);
  const expected = latLngToCell(lat, lon, h3Res);
  if (expected !== h3Index) {
    fail('H3_INDEX', 'H3_MISMATCH', `(${lat}, ${lon}) lies in ${expected} at resolution ${h3Res}, not in ${h3Index}`);
  }
}

/** Parses a UCID-V1 string; throws UcidParseError naming the first bad field. */
export function parseUcid(text: string, { strict = true }: ParseUcidOptions = {}): UcidFields {
  const parts = text.split(':');
  if (parts[0] !== UCID_PREFIX) {
    fail('PREFIX', 'INVALID_PREFIX', `expected '${UCID_PREFIX}', got '${parts[0]}'`);
  }
  if (parts.length !== FIELD_COUNT) {
    fail('FIELD_COUNT', 'FIELD_COUNT', `expected ${FIELD_COUNT} ':'-separated fields (FLAGS last, may be empty), got ${parts.length}`);
  }
  const [, city, latText, lonText, h3ResText, h3Index, time, context, grade, confText, flagsText] = parts as [
    string, string, string, string, string, string, string, string, string, string, string,
  ];
  if (!CITY_PATTERN.test(city)) fail('CITY', 'INVALID_FORMAT', `expected 3 letters A-Z, got '${city}'`);
  const lat = parseCoordinate('LAT', latText, LAT_PATTERN, 90);
  const lon = parseCoordinate('LON', lonText, LON_PATTERN, 180);
  if (!H3_RES_PATTERN.test(h3ResText) || Number(h3ResText) > 15) fail('H3_RES', 'INVALID_FORMAT', `expected 0–15, got '${h3ResText}'`);
  const h3Res = Number(h3ResText);
  if (!H3_INDEX_PATTERN.test(h3Index)) fail('H3_INDEX', 'INVALID_FORMAT', `expected 15 lowercase hex digits, got '${h3Index}'`);
  const timeParts = parseIsoWeekHour(time);
  if (!CONTEXT_PATTERN.test(context)) fail('CONTEXT', 'INVALID_FORMAT', `expected 1–8 characters A-Z 0-9, got '${context}'`);
  if (!isGrade(grade)) fail('GRADE', 'INVALID_GRADE', `expected one of A+ A B C D F, got '${grade}'`);
  if (!CONF_PATTERN.test(confText)) fail('CONF', 'INVALID_FORMAT', `expected 0.00–1.00 with exactly 2 decimals, got '${confText}'`);
  const flags = parseFlags(flagsText);
  if (strict) checkCellHoldsPoint(h3Index, h3Res, lat, lon);
  return { city, lat, lon, h3Res, h3Index, time, timeParts, context, grade, confidence: Number(confText), flags };
}

function locate(input: EncodeUcidInput): UcidCell {
  if (input.cell === undefined) return ucidCellFor(input.lat, input.lon, input.h3Res ?? DEFAULT_H3_RES);
  const point = requireUcidPoint(input.cell);
  if (input.h3Res !== undefined && input.h3Res !== point.h3Res) {
    throw new UcidEncodeError('H3_RES', 'RES_MISMATCH', `cell ${input.cell} has resolution ${point.h3Res}, not ${input.h3Res}`);
  }
  return point;
}

function canonicalFlags(flags: readonly string[]): string[] {
  for (const flag of flags) {
    if (!FLAG_PATTERN.test(flag)) throw new UcidEncodeError('FLAGS', 'INVALID_FORMAT', `flag '${flag}' does not match [A-Z0-9_]+`);
  }
  return [...new Set(flags)].sort();
}

/** Writes a UCID-V1 string that parseUcid accepts in strict mode, or throws UcidEncodeError. */
export function encodeUcid(input: EncodeUcidInput): string {
  const { city, context, score, confidence, timeMs } = input;
  if (!CITY_PATTERN.test(city)) throw new UcidEncodeError('CITY', 'INVALID_FORMAT', `expected 3 letters A-Z, got '${city}'`);
  if (!CONTEXT_PATTERN.test(context)) throw new UcidEncodeError('CONTEXT', 'INVALID_FORMAT', `expected 1–8 characters A-Z 0-9, got '${context}'`);
  if (!(score >= 0 && score <= 100)) throw new UcidEncodeError('SCORE', 'OUT_OF_RANGE', `score ${score} is not within 0–100`);
  if (!(confidence >= 0 && confidence <= 1)) throw new UcidEncodeError('CONF', 'OUT_OF_RANGE', `confidence ${confidence} is not within 0–1`);
  if (!Number.isFinite(timeMs)) throw new UcidEncodeError('TIME', 'OUT_OF_RANGE', `time ${timeMs} is not finite epoch ms`);
  const cell = locate(input);
  const text = [
    UCID_PREFIX, city, cell.latText, cell.lonText, String(cell.h3Res), cell.h3Index, isoWeekHour(timeMs), context,
    gradeFor(score), confidence.toFixed(2), canonicalFlags(input.flags ?? []).join(';'),
  ].join(':');
  // the encoder never writes what its own parser rejects; the cell holds the point by UcidCell's contract (cell-point.ts)
  parseUcid(text, { strict: false });
  return text;
}
