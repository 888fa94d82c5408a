// `node scripts/bench/commit-interval.mjs` (after `npm run build`): what store.minCommitInterval trades at a
// steady 1,000 sensors at 1 Hz (QoS 1, 4 publishers, every sensor registered): gateway CPU (utime + stime of
// all its threads, from /proc), bytes it writes to disk (/proc/PID/io), PUBACK (= commit) latency p50/p99 at
// the publisher. Then the SQLite part alone: CPU per durable (synchronous=FULL) commit and per reading at the
// batch sizes those intervals give, with the store and nothing else. Writes bench-results/commit-interval.{json,md}.
// Env: BENCH_ROUNDS (2), BENCH_COMMIT_INTERVALS ("0ms,10ms,25ms"), BENCH_COMMIT_SECONDS (30), warm-up 10 s.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from './mqtt-load.mjs';
import { startGateway } from './peers.mjs';
import { median } from './stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const INTERVALS = (process.env.BENCH_COMMIT_INTERVALS ?? '0ms,10ms,25ms').split(',');
const SECONDS = Number(process.env.BENCH_COMMIT_SECONDS ?? 30);
const WARMUP = 10;
const CLIENTS = 4;
const SENSORS = 1_000;

const registry = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: SENSORS / CLIENTS }, (_, i) => ({
  id: `ci-${c}-${i}`, lat: 40.8 + Math.floor(i / 50) * 0.003, lon: 28.7 + (i % 50) * 0.003 + c * 0.2, contexts: ['CLIMATE'], expectedInterval: '1s',
}))).flat();
const cpuSeconds = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const writtenBytes = (pid) => Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);

async function gatewayRun(interval) {
  const gw = await startGateway({ sensors: registry, store: { minCommitInterval: interval } });
  try {
    const running = runLoad({ port: gw.port, clients: CLIENTS, qos: 1, rate: SENSORS, messages: SENSORS * (WARMUP + SECONDS), sensors: SENSORS, prefix: 'ci' });
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    const cpu0 = cpuSeconds(gw.pid);
    const io0 = writtenBytes(gw.pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, (SECONDS - 2) * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const cpuPercent = ((cpuSeconds(gw.pid) - cpu0) / seconds) * 100;
    const diskMBps = (writtenBytes(gw.pid) - io0) / seconds / 1e6;
    const load = await running;
    return { cpuPercent, diskMBps, p50Ms: load.p50Ms, p99Ms: load.p99Ms, readingsPerSec: load.msgsPerSec, loadavg: os.loadavg()[0] };
  } finally {
    await gw.stop();
  }
}

async function storeAlone(batch) {
  const { Store } = await import(path.join(ROOT, 'dist/gateway/store/store.js'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ucid-commit-bench-'));
  const store = new Store(path.join(dir, 'gateway.db'));
  try {
    for (let s = 0; s < SENSORS; s++) store.insertReadingKey(`s${s}`, 'pm25');
    const commits = Math.round(20_000 / batch);
    let n = 0;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < commits; i++) {
      store.transaction(() => {
        for (let j = 0; j < batch; j++, n++) {
          const now = Date.now();
          store.insertReading({ sensorId: `s${n % SENSORS}`, metric: 'pm25', value: n % 50, unit: 'ugm3', ts: now, tsFromArrival: false, quality: 'good', source: 'bench', receivedAt: now }, 'on_time');
        }
      });
    }
    const cpu = process.cpuUsage(cpu0);
    return { batch, cpuUsPerCommit: (cpu.user + cpu.system) / commits, cpuUsPerReading: (cpu.user + cpu.system) / n };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = Object.fromEntries(INTERVALS.map((i) => [i, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const interval of INTERVALS) {
    const r = await gatewayRun(interval);
    runs[interval].push(r);
    console.error(`round ${round + 1} minCommitInterval ${interval}: CPU ${r.cpuPercent.toFixed(1)} %, disk ${r.diskMBps.toFixed(2)} MB/s, PUBACK p99 ${r.p99Ms.toFixed(1)} ms (load ${r.loadavg.toFixed(1)})`);
  }
}
const sqlite = [];
for (const batch of [4, 10, 25]) sqlite.push(await storeAlone(batch));

const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  rounds: ROUNDS, seconds: SECONDS, sensors: SENSORS,
  gateway: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, {
    cpuPercent: median(v.map((r) => r.cpuPercent)), diskMBps: median(v.map((r) => r.diskMBps)),
    p50Ms: median(v.map((r) => r.p50Ms)), p99Ms: median(v.map((r) => r.p99Ms)), loadavg: v.map((r) => r.loadavg), rounds: v,
  }])),
  sqlite,
};
const md = [
  `# store.minCommitInterval at 1,000 sensors at 1 Hz (${new Date().toISOString()})`, '',
  `${summary.machine.cpus} × ${summary.machine.model}, Node ${process.version}; QoS 1, ${CLIENTS} publishers, ${WARMUP} s warm-up then ${SECONDS} s measured, median of ${ROUNDS} interleaved rounds.`, '',
  '| store.minCommitInterval | gateway CPU, % of one core | disk writes MB/s | PUBACK p50 ms | PUBACK p99 ms | load average |', '|---|---|---|---|---|---|',
  ...Object.entries(summary.gateway).map(([k, s]) => `| ${k} | ${s.cpuPercent.toFixed(1)} | ${s.diskMBps.toFixed(2)} | ${s.p50Ms.toFixed(1)} | ${s.p99Ms.toFixed(1)} | ${s.loadavg.map((l) => l.toFixed(1)).join(', ')} |`), '',
  'The store alone (same schema, synchronous=FULL, 1,000 keys), CPU of durable commits by batch size:', '',
  '| readings per commit | CPU µs per commit | CPU µs per reading |', '|---|---|---|',
  ...sqlite.map((s) => `| ${s.batch} | ${s.cpuUsPerCommit.toFixed(0)} | ${s.cpuUsPerReading.toFixed(1)} |`),
];
mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench-results/commit-interval.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(path.join(ROOT, 'bench-results/commit-interval.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
