#!/usr/bin/env node
import './memory.js'; // first: V8 and mqtt-packet memory settings before anything else loads
import './v8-tiering.js';
import { parseArgs } from 'node:util';
import type { ResolvedConfig } from './config/load.js';
import { loadConfigIsolated } from './config/isolated.js';
import { DEMO_CONFIG } from './config/demo.js';
import { locateConfigFile } from './config/locate.js';
import { ConfigInvalidError, GatewayError, errorMessage } from './errors.js';
import { createLogger, logsWritten } from './logger.js';
import { passwdCommand } from './broker-security/passwd-command.js';
import path from 'node:path';
import { relaxV8MemoryFlagsForStartUp, restoreV8MemoryFlags, startPeriodicFullGc } from './v8-memory-flags.js';

const USAGE = `usage: ucid-gateway <command> [options]

commands:
  start [--config FILE]                 run the gateway (no config: the demo)
  check-config FILE                     validate a config file; exit 1 listing every problem
  scores [--config FILE] [--city IST] [--context CLIMATE] [--json]
                                        print the latest UCID-V1 string and score per cell and context
  alerts [--config FILE] [--active] [--limit N] [--json]
                                        print the alert history, newest first, or only active alerts
  passwd USERNAME [--file FILE]         hash an MQTT password (read from stdin); print user:hash or update FILE
  status [--config FILE] [--json]       uplink state, outbox backlog and last delivery to Kafka
  kafka create-topics [--config FILE] [--replication-factor N] [--raw]
                                        create the Kafka topics (DESIGN §6) that are missing

signals (start): SIGTERM/SIGINT drain and stop, SIGHUP reloads the config, SIGUSR2 cycles the log level`;

/** For the one-shot commands; `start` keeps the schemas off its own thread (config/isolated.ts). */
async function loadConfig(file: string | undefined): Promise<ResolvedConfig> {
  const { loadConfigFile, resolveConfig } = await import('./config/load.js');
  const located = locateConfigFile(file);
  return located ? loadConfigFile(located) : resolveConfig(DEMO_CONFIG);
}

async function start(configFlag: string | undefined): Promise<void> {
  const file = locateConfigFile(configFlag);
  const loading = loadConfigIsolated(file);
  loading.catch(() => undefined); // awaited below, after the gateway's modules have loaded beside it
  const [{ Gateway }, { installServiceSignals }] = await Promise.all([import('./gateway.js'), import('./service/signals.js')]);
  const config = await loading;
  const log = createLogger(config.gateway.logLevel);
  const gateway = new Gateway(config, log, file ? path.dirname(path.resolve(file)) : process.cwd());
  installServiceSignals(gateway, log, file ? () => loadConfigIsolated(file) : null);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    gateway.stop().then(() => 0, (err) => {
      log.fatal({ err }, 'stop failed');
      return 1;
    }).then(async (code) => {
      await logsWritten(log);
      process.exit(code);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  relaxV8MemoryFlagsForStartUp();
  try {
    await gateway.start();
  } catch (err) {
    log.fatal({ err }, 'start failed');
    await gateway.stop().catch(() => undefined);
    await logsWritten(log);
    process.exit(1);
  } finally {
    restoreV8MemoryFlags();
  }
  startPeriodicFullGc();
}

/** `ucid-gateway scores | head -3`: a reader that closed the pipe ends the output, as with any Unix tool, not a stack trace. */
function endQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'start') endQuietlyOnClosedStdout();
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' }, city: { type: 'string' }, context: { type: 'string' }, json: { type: 'boolean' },
      active: { type: 'boolean' }, limit: { type: 'string' }, file: { type: 'string' },
      'replication-factor': { type: 'string' }, raw: { type: 'boolean' },
    },
  });
  switch (command) {
    case 'start':
      await start(values.config);
      return -1;
    case 'check-config': {
      const file = positionals[0] ?? values.config;
      if (!file) throw new GatewayError('CONFIG_UNREADABLE', 'check-config needs a FILE');
      const config = (await import('./config/load.js')).loadConfigFile(file);
      process.stdout.write(`${file}: ok (${config.registry.size} sensors, ${config.drivers.length} drivers)\n`);
      return 0;
    }
    case 'scores':
      return (await import('./commands/scores.js')).printScores(await loadConfig(values.config), { city: values.city, context: values.context, json: values.json ?? false });
    case 'alerts': {
      const limit = Number(values.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1) {
        process.stderr.write(`--limit must be a positive integer, got "${values.limit}"\n`);
        return 2;
      }
      return (await import('./commands/alerts.js')).printAlerts(await loadConfig(values.config), { active: values.active ?? false, json: values.json ?? false, limit });
    }
    case 'status':
      return (await import('./commands/status.js')).printStatus(await loadConfig(values.config), { json: values.json ?? false });
    case 'kafka':
      return (await import('./commands/kafka.js')).kafkaCommand(positionals, await loadConfig(values.config), { replicationFactor: values['replication-factor'], raw: values.raw ?? false });
    case 'passwd':
      return passwdCommand(positionals[0], values.file);
    default:
      process.stderr.write(`${USAGE}\n`);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code >= 0) process.exitCode = code;
}, (err: unknown) => {
  if (err instanceof ConfigInvalidError) process.stderr.write(`invalid configuration:\n  ${err.problems.join('\n  ')}\n`);
  else process.stderr.write(`ucid-gateway: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
