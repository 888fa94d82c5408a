import { existsSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load.js';
import { AlertStore } from '../store/alert-store.js';
import { openDatabase } from '../store/database.js';

/** `ucid-gateway alerts`: the alert history (or only what is active), read-only beside a running gateway. */
export function printAlerts(config: ResolvedConfig, options: { active: boolean; json: boolean; limit: number }): number {
  if (!existsSync(config.store.path)) {
    process.stderr.write(`no database at ${config.store.path} yet: start the gateway first\n`);
    return 1;
  }
  const db = openDatabase(config.store.path, { readonly: true });
  try {
    const store = new AlertStore(db);
    const events = options.active ? store.active() : store.history({ limit: options.limit });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
      return 0;
    }
    if (events.length === 0) process.stdout.write(options.active ? 'no active alerts\n' : 'no alerts yet\n');
    for (const e of events) {
      const ack = e.acknowledged ? ` ack=${e.acknowledged.by}@${new Date(e.acknowledged.at).toISOString()}` : '';
      process.stdout.write(`${new Date(e.at).toISOString()} ${e.kind} ${e.state} ${e.level} ${e.city} ${e.context ?? '-'} ${e.key}: ${e.message}${ack}\n`);
    }
    return 0;
  } finally {
    db.close();
  }
}
