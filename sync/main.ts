#!/usr/bin/env node
/**
 * The sync worker on its own, over an existing store: for the crash tests (a child process to SIGKILL) and
 * the drain benchmark. Not part of the gateway's CLI.
 *
 *   node dist/sync/main.js --db FILE --gateway-id ID --sync JSON [--exit-when-drained]
 *
 * UCID_SYNC_CRASH=after-append:N | after-commit:N kills the process with SIGKILL at the N-th batch (1-based).
 */
import { parseArgs } from 'node:util';
import { Registry } from '../gateway/prometheus/registry.js';
import { createLogger, logsWritten } from '../gateway/logger.js';
import { Store } from '../gateway/store/store.js';
import { sleep } from './backoff.js';
import { createSyncMetrics } from './metrics.js';
import { syncSchema } from './schema.js';
import { SyncWorker, type SyncHooks } from './worker.js';

const { values } = parseArgs({
  options: { db: { type: 'string' }, 'gateway-id': { type: 'string' }, sync: { type: 'string' }, 'exit-when-drained': { type: 'boolean' }, 'log-level': { type: 'string' } },
});
if (!values.db || !values['gateway-id']) {
  process.stderr.write('usage: main.js --db FILE --gateway-id ID --sync JSON [--exit-when-drained]\n');
  process.exit(2);
}

function crashHooks(spec: string | undefined): SyncHooks {
  const match = /^(after-append|after-commit):(\d+)$/.exec(spec ?? '');
  if (!match) return {};
  let batches = 0;
  const crash = () => {
    if (++batches === Number(match[2])) process.kill(process.pid, 'SIGKILL');
  };
  return match[1] === 'after-append' ? { afterAppend: crash } : { afterCommit: crash };
}

const log = createLogger(values['log-level'] ?? 'info');
const store = new Store(values.db);
const config = syncSchema.parse(JSON.parse(values.sync ?? '{}'));
const worker = new SyncWorker(store, createSyncMetrics([new Registry()]), log, {
  gatewayId: values['gateway-id'], config, hooks: crashHooks(process.env.UCID_SYNC_CRASH),
}).start();

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await worker.stop();
  store.close();
  await logsWritten(log);
  process.exit(code);
};
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
// A test runner that died must not leave this worker retrying forever.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && void stop(0), 2_000).unref();

if (values['exit-when-drained']) {
  const anyLeft = store.db.prepare('SELECT 1 FROM outbox LIMIT 1');
  while (!stopping) {
    await sleep(100);
    const status = worker.status();
    if (status.state === 'online' && anyLeft.get() === undefined) {
      log.info({ sent: status.sent, deliveredSeq: status.deliveredSeq }, 'drained');
      await stop(0);
    }
  }
}
