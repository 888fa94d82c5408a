/** One breakpoint of a piecewise-linear curve: input value x (metric units) → sub-score y. */
export type CurvePoint = readonly [x: number, y: number];
export type Curve = readonly CurvePoint[];

/** Why `points` is not a usable curve, or undefined when it is: ≥ 2 finite points, x strictly increasing. */
export function curveProblem(points: Curve): string | undefined {
  if (points.length < 2) return `a curve needs at least 2 points, got ${points.length}`;
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) return `point ${i} [${x}, ${y}] is not two finite numbers`;
    if (i > 0 && x <= points[i - 1]![0]) {
      return `x must be strictly increasing: point ${i} has x = ${x}, not above point ${i - 1}'s x = ${points[i - 1]![0]}`;
    }
  }
  return undefined;
}

export function assertValidCurve(points: Curve): void {
  const problem = curveProblem(points);
  if (problem) throw new RangeError(problem);
}

/** Linear interpolation between breakpoints; below the first x the first y, above the last x the last y. */
export function evaluateCurve(points: Curve, x: number): number {
  if (Number.isNaN(x)) throw new RangeError('cannot evaluate a curve at NaN');
  const first = points[0]!;
  const last = points[points.length - 1]!;
  if (x <= first[0]) return first[1];
  if (x >= last[0]) return last[1];
  let upper = 1;
  while (points[upper]![0] < x) upper++;
  const [x0, y0] = points[upper - 1]!;
  const [x1, y1] = points[upper]!;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}
