import { parentPort, workerData } from 'node:worker_threads';
import { ConfigInvalidError, GatewayError, errorMessage } from '../errors.js';
import { DEMO_CONFIG } from './demo.js';
import { loadConfigFile, resolveConfig } from './load.js';

/** gateway/config/isolated.ts runs this on a thread of its own; what it sends back is all the thread leaves. */
export type LoadOutcome =
  | { config: unknown }
  | { invalid: string[] }
  | { failed: { code: GatewayError['code'] | null; message: string } };

const { file } = workerData as { file: string | null };
let outcome: LoadOutcome;
try {
  outcome = { config: file ? loadConfigFile(file) : resolveConfig(DEMO_CONFIG) };
} catch (err) {
  if (err instanceof ConfigInvalidError) outcome = { invalid: err.problems };
  else outcome = { failed: { code: err instanceof GatewayError ? err.code : null, message: errorMessage(err) } };
}
parentPort!.postMessage(outcome);
