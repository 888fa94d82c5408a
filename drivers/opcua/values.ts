import type { Quality } from '../../gateway/reading.js';

/** OPC UA Part 4 §7.39: bits 30–31 of a StatusCode are its severity: 00 Good, 01 Uncertain, 10 (and 11) Bad. */
export function qualityOf(statusCode: number): Quality {
  const severity = statusCode >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

const TWO_32 = 2 ** 32;

/**
 * A scalar Variant value as a finite number: numbers, booleans (1/0), and 64-bit integers, which node-opcua
 * hands over as `[high, low]` 32-bit words. Anything else (strings, arrays, structures, null) gives null.
 */
export function numericValue(value: unknown, dataType: string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if ((dataType === 'Int64' || dataType === 'UInt64') && Array.isArray(value) && value.length === 2) {
    const [high, low] = value as unknown[];
    if (typeof high !== 'number' || typeof low !== 'number') return null;
    const signedHigh = dataType === 'Int64' && high >= 0x80000000 ? high - TWO_32 : high;
    return signedHigh * TWO_32 + low;
  }
  return null;
}
