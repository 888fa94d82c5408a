export const GRADES = ['A+', 'A', 'B', 'C', 'D', 'F'] as const;
export type Grade = (typeof GRADES)[number];

/** DESIGN §3: A+ ≥ 90, A ≥ 80, B ≥ 70, C ≥ 60, D ≥ 50, else F. Score is 0–100. */
export function gradeFor(score: number): Grade {
  if (Number.isNaN(score)) throw new RangeError('score must be a number, got NaN');
  if (score >= 90) return 'A+';
  if (score >= 80) return 'A';
  if (score >= 70) return 'B';
  if (score >= 60) return 'C';
  if (score >= 50) return 'D';
  return 'F';
}

export function isGrade(text: string): text is Grade {
  return (GRADES as readonly string[]).includes(text);
}
