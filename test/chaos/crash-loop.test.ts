import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, GatewayProcess, eventually } from '../support/gateway-process.js';
import { SHARED_KAFKA, startOwnKafka, type OwnKafka } from '../support/kafka.js';
import { ModbusPeer } from '../peers/modbus-peer.js';
import {
  CHAOS, FAST_WINDOWS, PublisherFleet, chaosSensors, kafkaProblems, log, missingAcked, pause, scoreProblems, windowProblems, withSnapshot,
} from './harness.js';

// Issue 8 crash loop: SIGKILL the built gateway at random points while QoS 1 publishers, Modbus polling and
// the Kafka uplink run; after every restart check the store, at the end check Kafka (read_committed).
const dir = mkdtempSync(path.join(tmpdir(), 'ucid-chaos-crash-'));
const gatewayId = `gw-chaos-${process.pid}-${Date.now().toString(36)}`;
let kafka: OwnKafka | null = null;
let bootstrap = SHARED_KAFKA;
const peer = new ModbusPeer({ units: [1], values: [{ unit: 1, table: 'holding', address: 0, type: 'float32', order: 'CDAB', value: 21.5 }], valuesFile: path.join(dir, 'values.json') });
let gateway: GatewayProcess | null = null;

beforeAll(async () => {
  if (!bootstrap) {
    kafka = await startOwnKafka();
    bootstrap = kafka.bootstrap;
  }
  await peer.start();
});
afterAll(async () => {
  await gateway?.kill().catch(() => undefined);
  await peer.stop();
  await kafka?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const random = (min: number, max: number) => min + Math.random() * (max - min);

/** Starts the gateway and SIGKILLs it before it is ready (during migrations, the window rebuild or driver start). */
async function killDuringStartup(configFile: string, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', configFile], { cwd: dir, stdio: 'ignore' });
  await pause(afterMs);
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

describe('chaos: crash loop', () => {
  it(`SIGKILL ×${CHAOS.kills} under QoS 1 publishers, Modbus polling and Kafka draining: nothing acknowledged is lost, windows and scores match the readings, Kafka sees each event once`, async () => {
    const sensors = chaosSensors('crash', 8);
    const config = {
      gateway: { id: gatewayId, dataDir: dir },
      sensors: [...sensors, { id: 'plc-1', lat: 41.2, lon: 28.95, contexts: ['CLIMATE'], expectedInterval: '100ms' }],
      windows: FAST_WINDOWS,
      drivers: [{
        type: 'modbus', name: 'plc', connection: { transport: 'tcp', host: '127.0.0.1', port: peer.port },
        devices: [{ unitId: 1, sensorId: 'plc-1', interval: '100ms', registers: [{ metric: 'temperature', unit: '°C', address: 0, type: 'float32', wordOrder: 'CDAB' }] }],
      }],
      sync: { enabled: true, brokers: [bootstrap], createTopics: true, pollInterval: '100ms', batchMaxEvents: 50, retry: { initial: '200ms', max: '2s' } },
    };
    gateway = await GatewayProcess.start(config, { dir });
    const { configFile } = gateway;
    const fleet = new PublisherFleet({ sensors: sensors.map((s) => s.id), inflight: 10, clients: 2, lateEvery: 40 });
    const modbusRows = () => withSnapshot(gateway!.dbPath, (db) => (db.prepare("SELECT count(*) AS n FROM readings WHERE sensor_id = 'plc-1'").get() as { n: number }).n);
    const outbox = () => withSnapshot(gateway!.dbPath, (db) => (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
    const delivered = () => withSnapshot(gateway!.dbPath, (db) => Number((db.prepare("SELECT value FROM meta WHERE key = 'sync.delivered_seq'").get() as { value: string } | undefined)?.value ?? 0));

    for (let kill = 1; kill <= CHAOS.kills; kill++) {
      await fleet.attach(gateway.mqttPort);
      const modbusBefore = modbusRows();
      const deliveredBefore = delivered();
      const runMs = random(1_500, CHAOS.kills > 5 ? 8_000 : 4_000);
      await pause(runMs);
      gateway.child.kill('SIGKILL');
      await gateway.kill();
      await fleet.detach();
      // every third round also dies while starting up (migrations, window rebuild, drivers, broker)
      if (kill % 3 === 2) await killDuringStartup(configFile, random(100, 1_500));

      gateway = await GatewayProcess.spawn(['start', '--config', configFile], dir, configFile);
      const missing = withSnapshot(gateway.dbPath, (db) => missingAcked(db, fleet));
      const windows = withSnapshot(gateway.dbPath, (db) => windowProblems(db));
      const scores = await scoreProblems(gateway.dbPath, configFile, path.join(dir, `copy-${kill}.db`));
      rmSync(path.join(dir, `copy-${kill}.db`), { force: true });
      log(`kill ${kill}/${CHAOS.kills}`, {
        afterMs: Math.round(runMs), acked: fleet.ackedCount, missing: missing.length, windowsChecked: windows.checked, windowProblems: windows.problems.length,
        scoresChecked: scores.checked, scoreProblems: scores.problems.length, staleDrift: scores.staleDrift, modbusRows: modbusRows() - modbusBefore,
        deliveredSeq: delivered() - deliveredBefore, outbox: outbox(),
      });
      expect(missing, `kill ${kill}: acknowledged readings missing`).toEqual([]);
      expect(windows.problems, `kill ${kill}: windows`).toEqual([]);
      expect(scores.problems, `kill ${kill}: scores`).toEqual([]);
    }
    expect(fleet.ackedCount).toBeGreaterThan(CHAOS.kills * 100);
    // Modbus polling resumed after the last restart
    const polled = modbusRows();
    await eventually(() => modbusRows() > polled, 20_000);

    // Drain: no input, windows close by idle time, scores follow; once the outbox stays empty, stop cleanly.
    await eventually(async () => {
      if (outbox() > 0) return false;
      await pause(4_000);
      return outbox() === 0;
    }, 120_000, 500);
    expect(await gateway.stop()).toBe(0);
    const final = await kafkaProblems(bootstrap, gateway.dbPath, gatewayId);
    log('kafka', { delivered: final.delivered, expected: final.expected, problems: final.problems.length });
    expect(final.problems).toEqual([]);
    expect(final.expected).toBeGreaterThan(0);
    gateway = null;
  }, 1_800_000);
});
