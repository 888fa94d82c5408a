import { existsSync } from 'node:fs';
import path from 'node:path';

/** `--config`, else $UCID_GATEWAY_CONFIG, else systemd's $CONFIGURATION_DIRECTORY/gateway.yaml; null means the demo. */
export function locateConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (flag) return flag;
  if (env.UCID_GATEWAY_CONFIG) return env.UCID_GATEWAY_CONFIG;
  const dir = env.CONFIGURATION_DIRECTORY?.split(':')[0];
  if (dir && existsSync(path.join(dir, 'gateway.yaml'))) return path.join(dir, 'gateway.yaml');
  return null;
}
