import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/load.js';
import { ConfigInvalidError, errorMessage } from '../errors.js';
import type { Gateway } from '../gateway.js';

/**
 * SIGHUP re-reads and validates the config file and applies what is safe (Gateway.reload); an invalid
 * file is refused with every problem logged, and the running config stays. SIGUSR2 cycles the log level.
 */
export function installServiceSignals(gateway: Gateway, log: Logger, reread: (() => Promise<ResolvedConfig>) | null): void {
  let running: Promise<void> | null = null;
  let again = false;
  const reload = async () => {
    if (!reread) {
      log.warn('SIGHUP: running the built-in demo config, no file to re-read');
      return;
    }
    try {
      const next = await reread();
      const { applied, restartNeeded } = await gateway.reload(next);
      gateway.metrics.configReloads.inc({ result: 'applied' });
      log.info({ applied, restartNeeded }, restartNeeded.length ? 'config reloaded; some changes need a restart' : 'config reloaded');
    } catch (err) {
      gateway.metrics.configReloads.inc({ result: 'rejected' });
      const problems = err instanceof ConfigInvalidError ? err.problems : [errorMessage(err)];
      log.error({ problems }, 'config reload rejected; the running config stays');
    }
  };
  process.on('SIGHUP', () => {
    if (!gateway.isReady) return void log.warn('SIGHUP before ready: ignored');
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        await reload();
      } while (again);
      running = null;
    })();
  });
  process.on('SIGUSR2', () => {
    gateway.cycleLogLevel();
  });
}
