import { UcidParseError } from './errors.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
const TIME_PATTERN = /^(\d{4})W(\d{2})T(\d{2})$/;

/** What a TIME field holds. It has no weekday: one TIME names the same hour on all 7 days of its week. */
export interface IsoWeekHour {
  weekYear: number;
  week: number;
  hour: number;
}

export interface IsoWeekParts extends IsoWeekHour {
  /** ISO weekday, 1 = Monday … 7 = Sunday. */
  weekday: number;
}

/** Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not. */
function utcMidnightMs(year: number, monthIndex: number, day: number): number {
  return new Date(0).setUTCFullYear(year, monthIndex, day);
}

/** Monday 00:00 UTC of ISO week 1 of `weekYear`: the week holding 4 January. */
function isoWeekOneMondayMs(weekYear: number): number {
  const jan4 = utcMidnightMs(weekYear, 0, 4);
  const daysSinceMonday = (new Date(jan4).getUTCDay() + 6) % 7;
  return jan4 - daysSinceMonday * DAY_MS;
}

/** 53 when the ISO week-year has a week 53, else 52. 28 December always lies in the last week. */
export function isoWeeksInYear(weekYear: number): number {
  return isoWeekParts(utcMidnightMs(weekYear, 11, 28)).week;
}

/** ISO 8601 week-year, week, weekday and hour of an instant, in UTC. */
export function isoWeekParts(timeMs: number): IsoWeekParts {
  if (!Number.isFinite(timeMs)) throw new RangeError(`time must be finite epoch ms, got ${timeMs}`);
  const date = new Date(timeMs);
  const daysSinceMonday = (date.getUTCDay() + 6) % 7;
  const midnight = utcMidnightMs(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  // The ISO week belongs to the year that holds its Thursday.
  const weekYear = new Date(midnight + (3 - daysSinceMonday) * DAY_MS).getUTCFullYear();
  const week = 1 + Math.floor((midnight - isoWeekOneMondayMs(weekYear)) / WEEK_MS);
  return { weekYear, week, weekday: daysSinceMonday + 1, hour: date.getUTCHours() };
}

/** UCID-V1 TIME field, `YYYYWwwThh` (UTC). Throws for week-years outside 0000–9999. */
export function isoWeekHour(timeMs: number): string {
  const { weekYear, week, hour } = isoWeekParts(timeMs);
  if (weekYear < 0 || weekYear > 9999) {
    throw new UcidParseError('TIME', 'OUT_OF_RANGE', `ISO week-year ${weekYear} does not fit in 4 digits`);
  }
  return `${String(weekYear).padStart(4, '0')}W${String(week).padStart(2, '0')}T${String(hour).padStart(2, '0')}`;
}

/** Parses and checks a TIME field: week 01–52 (or 53 in a long ISO year), hour 00–23. */
export function parseIsoWeekHour(text: string): IsoWeekHour {
  const match = TIME_PATTERN.exec(text);
  if (!match) throw new UcidParseError('TIME', 'INVALID_FORMAT', `expected YYYYWwwThh, got '${text}'`);
  const [weekYear, week, hour] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const weeks = isoWeeksInYear(weekYear);
  if (week < 1 || week > weeks) {
    throw new UcidParseError('TIME', 'INVALID_WEEK', `week ${match[2]} does not exist in ISO year ${match[1]} (weeks 01–${weeks})`);
  }
  if (hour > 23) throw new UcidParseError('TIME', 'INVALID_HOUR', `hour ${match[3]} is not 00–23`);
  return { weekYear, week, hour };
}

/**
 * Inverse of isoWeekHour: epoch ms at which that UTC hour starts on ISO weekday `weekday` (1 = Monday, the
 * default, gives the earliest instant the TIME can mean). TIME itself carries no weekday.
 */
export function isoWeekHourStartMs(text: string, weekday = 1): number {
  if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7) throw new RangeError(`ISO weekday must be 1–7, got ${weekday}`);
  const { weekYear, week, hour } = parseIsoWeekHour(text);
  return isoWeekOneMondayMs(weekYear) + (week - 1) * WEEK_MS + (weekday - 1) * DAY_MS + hour * HOUR_MS;
}
