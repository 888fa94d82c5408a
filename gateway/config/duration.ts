import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration written `500ms`, `30s`, `5m`, `2h`, `7d`, or a number of milliseconds; parses to ms. */
export const duration = z.union([
  z.number().int().nonnegative(),
  z.string().regex(DURATION_PATTERN, 'expected a duration such as 500ms, 30s, 5m, 2h or 7d'),
]).transform((value) => {
  if (typeof value === 'number') return value;
  const [, amount, unit] = DURATION_PATTERN.exec(value)!;
  return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
});

const SIZE_UNIT_BYTES = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)$/;

/** A byte size written `64KiB`, `256MiB`, `2GiB`, or a number of bytes; parses to bytes. */
export const byteSize = z.union([
  z.number().int().nonnegative(),
  z.string().regex(SIZE_PATTERN, 'expected a size such as 512B, 64KiB, 256MiB or 2GiB'),
]).transform((value) => {
  if (typeof value === 'number') return value;
  const [, amount, unit] = SIZE_PATTERN.exec(value)!;
  return Math.round(Number(amount) * SIZE_UNIT_BYTES[unit as keyof typeof SIZE_UNIT_BYTES]);
});
