/** DESIGN §6 topic names. */
export const TOPICS = {
  scores: 'ucid.processed.scores',
  alerts: 'ucid.alerts',
  rawSensors: 'ucid.raw.sensors',
  rawGtfsRt: 'ucid.raw.gtfs-rt',
} as const;

export const SCORE_SCHEMA = 'ucid.score.v1';

/** `{CITY}:{H3_INDEX}:{CONTEXT}`: stable across grade and hour changes, so per-cell order holds in one partition. */
export function scoreKey(city: string, h3Index: string, context: string): string {
  return `${city}:${h3Index}:${context}`;
}
