import { setTimeout as sleep } from 'node:timers/promises';
import ModbusSerial from 'modbus-serial';
import type { Driver, DriverContext, DriverFactory, DriverState } from '../driver.js';
import { ModbusBus, type ModbusClient } from './bus.js';
import { DevicePoller, type ErrorSink } from './device.js';
import { t35Ms, type ModbusDriverConfig } from './schema.js';

const RECONNECT_MIN_MS = 500;
const DETAIL_ENTRIES = 8;
/** Serial lines opened by a running instance: a second instance on the same port is a config mistake. */
const serialLinesInUse = new Map<string, string>();
// A CommonJS package whose typings declare `export default`: under NodeNext the class is `.default`
// (the package sets `module.exports.default = module.exports`, so this holds at run time too).
const ModbusRTU = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

function openerFor(config: ModbusDriverConfig): { create(): ModbusClient; connect(client: ModbusClient): Promise<void> } {
  const connection = config.connection;
  return {
    create: () => new ModbusRTU() as unknown as ModbusClient,
    connect: async (client) => {
      const rtu = client as unknown as ModbusRTU;
      if (connection.transport === 'tcp') await rtu.connectTCP(connection.host, { port: connection.port });
      else await rtu.connectRTUBuffered(connection.path, { baudRate: connection.baudRate, parity: connection.parity, dataBits: connection.dataBits, stopBits: connection.stopBits });
    },
  };
}

/** Polls the unit ids on one Modbus RTU line or TCP connection; each poll is done once its readings are committed. */
export const createDriver: DriverFactory<ModbusDriverConfig> = (config, context): Driver => {
  const abort = new AbortController();
  const errorCounts = new Map<string, number>();
  const incomplete = new Set<number>();
  let busUp = false;
  let busDetail = 'connecting';
  let lastHealth = '';
  let loops: Promise<void>[] = [];
  const target = config.connection.transport === 'tcp' ? `${config.connection.host}:${config.connection.port}` : config.connection.path;

  const opener = openerFor(config);
  const bus = new ModbusBus({
    create: opener.create,
    connect: opener.connect,
    renewAfterTimeout: config.connection.transport === 'tcp',
    release: config.connection.transport === 'tcp' ? 'destroy' : 'close',
    connectTimeoutMs: Math.max(config.timeout, 1_000),
    frameGapMs: config.frameGap ?? (config.connection.transport === 'rtu' ? t35Ms(config.connection) : 0),
    reconnectMinMs: RECONNECT_MIN_MS,
    reconnectMaxMs: config.reconnectMax,
    onUp() {
      busUp = true;
      busDetail = 'connected';
      refreshHealth();
    },
    onDown(kind, detail) {
      context.countError(kind);
      busUp = false;
      busDetail = detail;
      refreshHealth();
    },
  });

  const sink: ErrorSink = {
    count(where, kind) {
      context.countError(kind.startsWith('exception') ? 'exception' : kind);
      const key = `${where}: ${kind}`;
      errorCounts.set(key, (errorCounts.get(key) ?? 0) + 1);
    },
    reject: (input) => context.reject(input),
  };
  const pollers = config.devices.map((device) => new DevicePoller(device, bus, {
    source: config.name, timeoutMs: config.timeout, retries: config.retries, maxBackoffMs: config.maxBackoff,
  }, sink));

  function refreshHealth(): void {
    if (abort.signal.aborted) return;
    const down = pollers.filter((p) => p.down).map((p) => p.device.unitId);
    let state: DriverState;
    if (!busUp) state = busDetail === 'connecting' ? 'connecting' : 'down';
    else if (down.length === pollers.length) state = 'down';
    else if (down.length || incomplete.size) state = 'degraded';
    else state = 'up';
    const parts = [busUp ? `${target} connected` : `${target}: ${busDetail}`];
    if (down.length) parts.push(`not answering: unit ${down.join(', ')}`);
    const worst = [...errorCounts].sort((a, b) => b[1] - a[1]).slice(0, DETAIL_ENTRIES);
    if (worst.length) parts.push(`errors: ${worst.map(([key, n]) => `${key}×${n}`).join('; ')}`);
    const detail = parts.join('; ');
    if (`${state}|${detail}` === lastHealth) return;
    lastHealth = `${state}|${detail}`;
    context.setHealth(state, detail);
  }

  async function run(poller: DevicePoller): Promise<void> {
    while (!abort.signal.aborted) {
      const started = Date.now();
      const result = await poller.poll(started);
      if (result.incomplete && !result.busDown) incomplete.add(poller.device.unitId);
      else if (!result.incomplete) incomplete.delete(poller.device.unitId);
      if (result.readings.length) {
        try {
          await context.submit(result.readings);
          context.markReading(Date.now());
        } catch (err) {
          context.countError('submit');
          context.log.warn({ unitId: poller.device.unitId, err }, 'modbus readings not committed');
        }
      }
      refreshHealth();
      const wait = started + poller.nextDelay() - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  return {
    async start() {
      if (config.connection.transport === 'rtu') {
        const owner = serialLinesInUse.get(config.connection.path);
        if (owner && owner !== config.name) throw new Error(`${config.connection.path} is already polled by modbus driver "${owner}"`);
        serialLinesInUse.set(config.connection.path, config.name);
      }
      context.setHealth('connecting', `${target}: connecting`);
      context.log.info({ target, devices: pollers.length, requestsPerCycle: pollers.reduce((n, p) => n + p.requestCount, 0) }, 'modbus polling');
      loops = pollers.map((poller) => run(poller).catch((err: unknown) => context.log.error({ err, unitId: poller.device.unitId }, 'modbus poll loop failed')));
    },
    async stop() {
      abort.abort();
      await Promise.all(loops);
      await bus.close();
      if (config.connection.transport === 'rtu' && serialLinesInUse.get(config.connection.path) === config.name) {
        serialLinesInUse.delete(config.connection.path);
      }
      context.setHealth('stopped');
    },
  };
};
