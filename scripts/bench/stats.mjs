// Summaries of the benchmarks' rounds. The median of an even count is the mean of the two middle values (of 2
// rounds, their mean: not the larger one, as these scripts reported before 2026-11-27 17:30).

/** The median of the numbers; NaN when there are none. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median, min and max of the numbers. */
export function stats(xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}
