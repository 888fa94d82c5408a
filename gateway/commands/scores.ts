import { existsSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load.js';
import { openDatabase } from '../store/database.js';
import { latestScores, type ScoreFilter } from '../store/store.js';

/** `ucid-gateway scores`: reads the store read-only, so it works beside a running gateway. */
export function printScores(config: ResolvedConfig, filter: ScoreFilter & { json: boolean }): number {
  if (!existsSync(config.store.path)) {
    process.stderr.write(`no database at ${config.store.path} yet: start the gateway first\n`);
    return 1;
  }
  const db = openDatabase(config.store.path, { readonly: true });
  try {
    const rows = latestScores(db, filter);
    if (filter.json) {
      process.stdout.write(`${JSON.stringify(rows.map((r) => ({ ...r, windowEnd: new Date(r.windowEnd).toISOString() })), null, 2)}\n`);
    } else if (rows.length === 0) {
      process.stdout.write('no scores yet\n');
    }
    for (const r of filter.json ? [] : rows) {
      process.stdout.write(`${r.ucid}  score=${r.score.toFixed(1)} grade=${r.grade} conf=${r.confidence.toFixed(2)} window_end=${new Date(r.windowEnd).toISOString()}\n`);
    }
    return 0;
  } finally {
    db.close();
  }
}
