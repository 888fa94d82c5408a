// `node scripts/bench/footprint.mjs` (after `npm run build`): memory and CPU of the gateway at a steady site load,
// against a bare aedes process taking the same publishes (same load generator, runs interleaved):
//   - 1,000 sensors at 1 Hz   (1,000 readings/s)   — targets: RSS ≤ 80 MB, CPU ≤ 10 % of one core
//   - 10,000 sensors at 0.1 Hz (1,000 readings/s, ten times the keys, windows and cells)
// Every sensor is in the registry (one H3 cell each, CLIMATE), default windows, QoS 1. Each run: a warm-up, then
// RSS sampled every second and CPU time (utime + stime from /proc) over the measured part. Medians of the runs'
// mean RSS, with min/max; CPU as % of one core and per 1,000 readings/s. Writes bench-results/footprint.{json,md}.
// The default 15 + 45 s is for comparing builds: the window engine's state fills the 1 h revision horizon, so the
// steady-state RSS the target is about takes BENCH_FOOTPRINT_SECONDS=3600 (docs/benchmarks.md "2026-11-28").
// Env: BENCH_ROUNDS (3), BENCH_FOOTPRINT_SECONDS (45), BENCH_FOOTPRINT_WARMUP (15), BENCH_FOOTPRINT_LOADS (both),
// BENCH_FOOTPRINT_CLIENTS (4 publishers; 1000 with BENCH_FOOTPRINT_LOADS=1000 is a connection per sensor),
// BENCH_FOOTPRINT_PEERS (all: gateway,bare aedes,bare aedes, gateway memory settings — comma-separated names; writes
// bench-results/footprint-partial.*).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from './mqtt-load.mjs';
import { BENCH_MQTT, startBareAedes, startGateway } from './peers.mjs';
import { stats } from './stats.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_FOOTPRINT_SECONDS ?? 45);
const WARMUP = Number(process.env.BENCH_FOOTPRINT_WARMUP ?? 15);
const CLIENTS = Number(process.env.BENCH_FOOTPRINT_CLIENTS ?? 4);
const LOADS = [
  { name: '1,000 sensors at 1 Hz', sensors: 1_000, hz: 1 },
  { name: '10,000 sensors at 0.1 Hz', sensors: 10_000, hz: 0.1 },
].filter((l) => !process.env.BENCH_FOOTPRINT_LOADS || process.env.BENCH_FOOTPRINT_LOADS.split(',').includes(String(l.sensors)));

const registry = (load) => Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: load.sensors / CLIENTS }, (_, i) => ({
  id: `fp-${c}-${i}`, lat: 40.8 + Math.floor(i / 50) * 0.003 + Math.floor(c / 4) * 0.02, lon: 28.7 + (i % 50) * 0.003 + (c % 4) * 0.2, contexts: ['CLIMATE'],
  expectedInterval: `${Math.round(1000 / load.hz)}ms`,
}))).flat();

const proc = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100 };
};

async function measure(start, load) {
  const peer = await start(load);
  const rate = load.sensors * load.hz;
  try {
    const total = Math.round(rate * (WARMUP + SECONDS));
    const running = runLoad({ port: peer.port, clients: CLIENTS, qos: 1, rate, messages: total, sensors: load.sensors, prefix: 'fp' });
    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    const from = proc(peer.pid);
    const t0 = performance.now();
    const rss = [];
    while (performance.now() - t0 < (SECONDS - 1) * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      rss.push(proc(peer.pid).rssMiB);
    }
    const to = proc(peer.pid);
    const seconds = (performance.now() - t0) / 1000;
    const result = await running;
    const cpuPercent = ((to.cpuSeconds - from.cpuSeconds) / seconds) * 100;
    return {
      rssMeanMiB: rss.reduce((a, b) => a + b, 0) / rss.length, rssMaxMiB: Math.max(...rss), cpuPercent,
      cpuPer1kPerSec: cpuPercent / (rate / 1000), achievedPerSec: result.msgsPerSec, p99Ms: result.p99Ms,
    };
  } finally {
    await peer.stop();
  }
}

const peers = [
  ['gateway', (load) => startGateway({ sensors: registry(load), mqtt: { ...BENCH_MQTT, limits: { maxConnections: CLIENTS + 100, maxConnectionsPerIp: CLIENTS + 100 } } })],
  ['bare aedes', () => startBareAedes()],
  ['bare aedes, gateway memory settings', () => startBareAedes({ gatewayMemory: true })],
].filter(([name]) => !process.env.BENCH_FOOTPRINT_PEERS || process.env.BENCH_FOOTPRINT_PEERS.split(',').includes(name));
const runs = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const load of LOADS) {
    for (const [name, start] of peers) {
      const r = await measure(start, load);
      (runs[`${load.name}|${name}`] ??= []).push(r);
      console.error(`round ${round + 1} ${load.name} ${name}: RSS ${r.rssMeanMiB.toFixed(1)} MiB (max ${r.rssMaxMiB.toFixed(1)}), CPU ${r.cpuPercent.toFixed(1)} % of a core, ${Math.round(r.achievedPerSec)} readings/s`);
    }
  }
}

const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg() },
  rounds: ROUNDS, seconds: SECONDS, warmup: WARMUP,
  results: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, {
    rssMeanMiB: stats(v.map((r) => r.rssMeanMiB)), rssMaxMiB: stats(v.map((r) => r.rssMaxMiB)), cpuPercent: stats(v.map((r) => r.cpuPercent)),
    cpuPer1kPerSec: stats(v.map((r) => r.cpuPer1kPerSec)), achievedPerSec: stats(v.map((r) => r.achievedPerSec)), p99Ms: stats(v.map((r) => r.p99Ms)),
  }])),
};
const f = (s, digits = 1) => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const md = [
  `# Footprint at a steady site load (${new Date().toISOString()})`, '',
  `${summary.machine.cpus} × ${summary.machine.model}, Node ${process.version}, load average at the end ${summary.machine.loadavg.map((l) => l.toFixed(1)).join(' ')}; QoS 1, ${CLIENTS} publishers, ${WARMUP} s warm-up then ${SECONDS} s measured, ${ROUNDS} interleaved rounds; median (min–max).`, '',
  '| load | process | RSS mean MiB | RSS max MiB | CPU % of one core | CPU % per 1,000 readings/s | readings/s |', '|---|---|---|---|---|---|---|',
  ...Object.entries(summary.results).map(([k, s]) => {
    const [load, name] = k.split('|');
    return `| ${load} | ${name} | ${f(s.rssMeanMiB)} | ${f(s.rssMaxMiB)} | ${f(s.cpuPercent)} | ${f(s.cpuPer1kPerSec)} | ${f(s.achievedPerSec, 0)} |`;
  }), '',
  'Targets (1,000 sensors at 1 Hz, gateway): RSS ≤ 80 MB, CPU ≤ 10 % of one core.',
];
mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
// another topology, or some of the peers, does not overwrite the figures bench-results/summary.md is made from
const base = (CLIENTS === 4 ? 'footprint' : `footprint-${CLIENTS}-clients`) + (process.env.BENCH_FOOTPRINT_PEERS ? '-partial' : '');
writeFileSync(path.join(ROOT, `bench-results/${base}.json`), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(path.join(ROOT, `bench-results/${base}.md`), `${md.join('\n')}\n`);
console.log(md.join('\n'));
