import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess, eventually } from '../support/gateway-process.js';
import { freePort, startOwnKafka, type OwnKafka } from '../support/kafka.js';
import { FaultProxy } from './fault-proxy.js';
import { CHAOS, CHAOS_FULL, FAST_WINDOWS, PublisherFleet, chaosSensors, kafkaProblems, log, missingAcked, pause, withSnapshot } from './harness.js';

// Issue 8 uplink faults: the gateway's only way to Kafka is a listener advertised behind the suite's TCP fault
// proxy, which stalls, resets and slows the connections; Kafka itself is also stopped for long stretches and
// restarted. Ingest must not notice, and Kafka (read_committed) must end with every event once.
const dir = mkdtempSync(path.join(tmpdir(), 'ucid-chaos-uplink-'));
let kafka: OwnKafka;
let proxy: FaultProxy;

beforeAll(async () => {
  const [plain, controller, backend, front] = [await freePort(), await freePort(), await freePort(), await freePort()];
  kafka = await startOwnKafka({
    ports: [plain, controller],
    props: [
      `listeners=PLAINTEXT://127.0.0.1:${plain},CONTROLLER://127.0.0.1:${controller},PROXIED://127.0.0.1:${backend}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${plain},PROXIED://127.0.0.1:${front}`,
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,PROXIED:PLAINTEXT',
    ],
  });
  proxy = await FaultProxy.start({ port: backend }, { port: front });
}, 240_000);
afterAll(async () => {
  await proxy?.close();
  await kafka?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

type Fault = { name: string; ms: number; apply: () => Promise<void> | void; undo: () => Promise<void> | void };

describe('chaos: uplink faults', () => {
  it('Kafka behind a proxy that stalls, resets and slows, and a broker stopped and restarted: ingest goes on, every event reaches Kafka once', async () => {
    const gatewayId = `gw-chaos-uplink-${Date.now().toString(36)}`;
    const sensors = chaosSensors('up', 8);
    const gateway = await GatewayProcess.start({
      gateway: { id: gatewayId, dataDir: dir },
      sensors,
      windows: FAST_WINDOWS,
      sync: {
        enabled: true, brokers: [`127.0.0.1:${proxy.port}`], createTopics: true, pollInterval: '100ms', batchMaxEvents: 40,
        connectionTimeout: '2s', requestTimeout: '5s', retry: { initial: '200ms', max: '2s' },
      },
    }, { dir });
    const fleet = new PublisherFleet({ sensors: sensors.map((s) => s.id), inflight: 5, clients: 2, lateEvery: 50 });
    const delivered = () => withSnapshot(gateway.dbPath, (db) => Number((db.prepare("SELECT value FROM meta WHERE key = 'sync.delivered_seq'").get() as { value: string } | undefined)?.value ?? 0));
    const outbox = () => withSnapshot(gateway.dbPath, (db) => (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n);
    try {
      await fleet.attach(gateway.mqttPort);
      await eventually(() => delivered() > 0, 60_000);

      const faults: Fault[] = [
        { name: 'stall', ms: CHAOS_FULL ? 40_000 : 7_000, apply: () => proxy.stall(), undo: () => proxy.pass() },
        { name: 'reset', ms: CHAOS_FULL ? 20_000 : 3_000, apply: () => proxy.reset(), undo: () => proxy.pass() },
        { name: 'slow', ms: CHAOS_FULL ? 30_000 : 5_000, apply: () => proxy.slowDown({ latencyMs: 300, bytesPerSec: 8_000 }), undo: () => proxy.pass() },
        { name: 'broker stopped', ms: CHAOS.outageMs, apply: () => kafka.stop(), undo: () => kafka.start() },
        { name: 'stall then reset', ms: 4_000, apply: () => proxy.stall(), undo: () => { proxy.reset({ keep: false }); } },
      ];
      const rounds = CHAOS_FULL ? 4 : 1;
      for (let round = 0; round < rounds; round++) {
        for (const fault of round === 0 ? faults : [...faults].sort(() => Math.random() - 0.5)) {
          const acked = fleet.stats.acked;
          const seq = delivered();
          await fault.apply();
          await pause(fault.ms);
          const ackedDuring = fleet.stats.acked - acked;
          await fault.undo();
          await eventually(() => delivered() > seq, 120_000, 250);
          log(`uplink fault: ${fault.name}`, { ms: fault.ms, ackedDuring, deliveredSeq: delivered(), outbox: outbox(), proxy: proxy.stats() });
          // ingest never waits for the uplink
          expect(ackedDuring, `${fault.name}: QoS 1 acknowledgements while the uplink was down`).toBeGreaterThan(50);
        }
      }
      await fleet.detach();
      expect(withSnapshot(gateway.dbPath, (db) => missingAcked(db, fleet))).toEqual([]);
      await eventually(async () => {
        if (outbox() > 0) return false;
        await pause(4_000);
        return outbox() === 0;
      }, 180_000, 500);
      expect(await gateway.stop()).toBe(0);
      const final = await kafkaProblems(kafka.bootstrap, gateway.dbPath, gatewayId);
      log('uplink kafka', { delivered: final.delivered, expected: final.expected, problems: final.problems.length });
      expect(final.problems).toEqual([]);
      expect(final.expected).toBeGreaterThan(0);
    } finally {
      await fleet.detach();
      await gateway.kill().catch(() => undefined);
    }
  }, CHAOS_FULL ? 3_600_000 : 600_000);
});
