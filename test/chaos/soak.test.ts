import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayProcess, REPO_ROOT } from '../support/gateway-process.js';
import { UNIT_MALLOC_ENV, UNIT_NODE_ARGS } from '../../scripts/systemd-unit.mjs';
import { SHARED_KAFKA } from '../support/kafka.js';
import { CHAOS, CHAOS_FULL, PublisherFleet, chaosSensors, log, pause, withSnapshot } from './harness.js';

// Issue 8 soak: a steady load for a long time (an hour with UCID_CHAOS=full, a minute in `npm test`); the
// gateway's RSS, open file descriptors and CPU are sampled, growth is reported (test-artifacts/soak.json) and
// bounded. Windows are short enough that window rows, scores and outbox rows churn the whole time.
const dir = mkdtempSync(path.join(tmpdir(), 'ucid-chaos-soak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Sample {
  t: number;
  rssMiB: number;
  fds: number;
  cpuSeconds: number;
  acked: number;
  /** The database file and its WAL: raw readings go after rawRetention, window results and scores after resultRetention. */
  dbMiB: number;
}

const TICKS = 100; // USER_HZ on Linux
function sample(pid: number, dbPath: string, t: number, acked: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const statLine = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const stat = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  return {
    t, acked,
    rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024,
    fds: readdirSync(`/proc/${pid}/fd`).length,
    cpuSeconds: (Number(stat[11]) + Number(stat[12])) / TICKS,
    dbMiB: [dbPath, `${dbPath}-wal`].reduce((sum, file) => sum + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0) / 2 ** 20,
  };
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
}

describe('chaos: soak', () => {
  it(`${CHAOS.soakSensors} sensors at ${CHAOS.soakHz} Hz for ${CHAOS.soakMs / 60_000} min: RSS, file descriptors and CPU sampled, no growth beyond bounds`, async () => {
    const sensors = chaosSensors('soak', CHAOS.soakSensors, `${Math.round(1000 / CHAOS.soakHz)}ms`);
    const gateway = await GatewayProcess.start({
      gateway: { id: `gw-soak-${Date.now().toString(36)}`, dataDir: dir, logLevel: 'info' },
      sensors,
      windows: { defaults: { tumbling: '10s', sliding: { size: '60s', slide: '10s' }, sessionGap: '30s', allowedLateness: '2s', revisionHorizon: '2m', idleClose: '10s' } },
      store: { rawRetention: '10m' },
      ...(SHARED_KAFKA ? { sync: { enabled: true, brokers: [SHARED_KAFKA], createTopics: true, pollInterval: '200ms' } } : {}),
    }, { dir, nodeArgs: [...UNIT_NODE_ARGS], env: { ...UNIT_MALLOC_ENV } });
    const clients = Math.max(1, Math.ceil(CHAOS.soakSensors / 100));
    const fleet = new PublisherFleet({ sensors: sensors.map((s) => s.id), clients, rate: (CHAOS.soakSensors * CHAOS.soakHz) / clients, inflight: 50, track: false });
    const samples: Sample[] = [];
    const every = CHAOS_FULL ? 30_000 : 3_000;
    try {
      await fleet.attach(gateway.mqttPort);
      const started = Date.now();
      while (Date.now() - started < CHAOS.soakMs) {
        await pause(every);
        samples.push(sample(gateway.child.pid!, gateway.dbPath, (Date.now() - started) / 1000, fleet.stats.acked));
      }
      await fleet.detach();
      const outboxLeft = SHARED_KAFKA ? withSnapshot(gateway.dbPath, (db) => (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n) : null;
      expect(await gateway.stop()).toBe(0);

      // after a warm-up (a fifth of the run: windows, retention and caches reach their steady size)
      const steady = samples.slice(Math.floor(samples.length / 5));
      const first = steady[0]!;
      const last = steady.at(-1)!;
      const hours = (last.t - first.t) / 3600;
      const report = {
        sensors: CHAOS.soakSensors, hz: CHAOS.soakHz, minutes: CHAOS.soakMs / 60_000, full: CHAOS_FULL,
        readingsPerSecond: (last.acked - first.acked) / (last.t - first.t),
        rssMiB: { start: samples[0]!.rssMiB, steadyStart: first.rssMiB, end: last.rssMiB, max: Math.max(...samples.map((s) => s.rssMiB)), slopePerHour: slope(steady.map((s) => [s.t / 3600, s.rssMiB])) },
        fds: { start: samples[0]!.fds, end: last.fds, max: Math.max(...samples.map((s) => s.fds)) },
        dbMiB: { start: samples[0]!.dbMiB, steadyStart: first.dbMiB, end: last.dbMiB, slopePerHour: slope(steady.map((s) => [s.t / 3600, s.dbMiB])) },
        cpuPercentOfOneCore: ((last.cpuSeconds - first.cpuSeconds) / (last.t - first.t)) * 100,
        outboxLeft, samples,
      };
      mkdirSync(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
      writeFileSync(path.join(REPO_ROOT, 'test-artifacts', CHAOS_FULL ? 'soak-full.json' : 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
      log('soak', { ...report, samples: samples.length, hours });

      expect(report.readingsPerSecond).toBeGreaterThan(CHAOS.soakSensors * CHAOS.soakHz * 0.8);
      // descriptors: the clients' sockets, the database, the listeners; no leak per message or per window
      expect(report.fds.end - samples[0]!.fds).toBeLessThanOrEqual(10);
      // memory: over the steady part, growth bounded (V8 and SQLite caches settle; a leak keeps climbing)
      expect(last.rssMiB - first.rssMiB).toBeLessThan(CHAOS_FULL ? 40 : 30);
    } finally {
      await fleet.detach();
      await gateway.kill().catch(() => undefined);
    }
  }, CHAOS.soakMs + 300_000);
});
