import { existsSync } from 'node:fs';
import type { ResolvedConfig } from '../config/load.js';
import { openDatabase } from '../store/database.js';
import { META, backlogStats } from '../../sync/outbox.js';
import type { SyncStatus } from '../../sync/worker.js';

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return s < 172_800 ? `${(s / 3600).toFixed(1)}h` : `${(s / 86_400).toFixed(1)}d`;
}

/** `ucid-gateway status`: uplink state, backlog and last delivery, from the state the sync worker keeps in SQLite. */
export function printStatus(config: ResolvedConfig, options: { json: boolean }, now = Date.now()): number {
  if (!existsSync(config.store.path)) {
    process.stderr.write(`no database at ${config.store.path} yet: start the gateway first\n`);
    return 1;
  }
  const db = openDatabase(config.store.path, { readonly: true });
  try {
    const backlog = backlogStats(db);
    const raw = (db.prepare('SELECT value FROM meta WHERE key = ?').get(META.status) as { value: string } | undefined)?.value;
    const sync = raw ? (JSON.parse(raw) as SyncStatus) : null;
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ gatewayId: config.gateway.id, sync, backlog, budgetBytes: config.sync.budget }, null, 2)}\n`);
      return 0;
    }
    const lines = [`gateway:       ${config.gateway.id} (${config.store.path})`];
    const live = sync && sync.state !== 'disabled' ? sync : null;
    if (!live) lines.push(`uplink:        ${config.sync.enabled ? 'not started yet' : 'disabled (sync.enabled: false)'}`);
    else {
      const retry = live.nextAttemptAt && live.state !== 'online' ? `, next attempt in ${age(live.nextAttemptAt - now)}` : '';
      lines.push(`uplink:        ${live.state} (breaker ${live.breaker}, ${live.failures} consecutive failures${retry}) → ${live.brokers.join(', ') || '-'}`);
      lines.push(`status from:   ${age(now - live.updatedAt)} ago${now - live.updatedAt > 60_000 ? ' (is the gateway running?)' : ''}`);
    }
    const oldest = backlog.oldestCreatedAt === null ? '' : `, oldest ${age(now - backlog.oldestCreatedAt)}`;
    lines.push(`backlog:       ${backlog.events} events, ${mib(backlog.bytes)} of ${mib(config.sync.budget)} budget${oldest}`);
    if (live) {
      const d = live.lastDelivery;
      lines.push(`last delivery: ${d ? `${new Date(d.at).toISOString()} (${age(now - d.at)} ago), ${d.events} events up to seq ${d.seq}` : 'none since the gateway started'}`);
      lines.push(`delivered:     up to seq ${live.deliveredSeq}, ${live.sent} events since start`);
      if (live.lastError) lines.push(`last error:    ${live.lastError.code} ${age(now - live.lastError.at)} ago: ${live.lastError.message}`);
    }
    const c = sync?.compacted;
    if (c && c.superseded + c.rolled_up + c.evicted > 0) lines.push(`compacted:     ${c.superseded} superseded, ${c.rolled_up} rolled up, ${c.evicted} evicted since start (reported upstream as Gap events)`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    db.close();
  }
}
