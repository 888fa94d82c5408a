import { Worker } from 'node:worker_threads';
import { ConfigInvalidError, GatewayError } from '../errors.js';
import { deepFreeze } from './freeze.js';
import type { ResolvedConfig } from './load.js';
import type { LoadOutcome } from './load-worker.js';

/**
 * `loadConfigFile` (or the demo config) on a short-lived worker thread. The schemas (zod, yaml and every section's
 * schema module) are module constants: imported on the gateway's own thread they stay in its heap for good, ~4 MiB
 * of a process that runs for months. The worker's heap goes when it exits; the config comes back as plain data
 * (structured clone: a Map stays a Map), is frozen again, and errors come back as the same errors.
 */
export function loadConfigIsolated(file: string | null): Promise<ResolvedConfig> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: { file } });
    worker.once('message', (outcome: LoadOutcome) => {
      if ('config' in outcome) resolve(deepFreeze(outcome.config as ResolvedConfig));
      else if ('invalid' in outcome) reject(new ConfigInvalidError(outcome.invalid));
      else reject(rebuilt(outcome.failed));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the config loader's thread exited (${code}) without an answer`)));
  });
}

function rebuilt(failed: { code: GatewayError['code'] | null; message: string }): Error {
  if (!failed.code) return new Error(failed.message);
  const err = new GatewayError(failed.code);
  err.message = failed.message;
  return err;
}
