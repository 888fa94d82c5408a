// `node scripts/bench/latency-probe.mjs [rate] [messages]` (after `npm run build`): where a paced QoS 1 run's
// PUBACK tail comes from. One gateway, a 2,000-message warm-up, then `rate` msg/s (default 8,000); prints the
// publisher's p50/p99, the gateway's CPU, GC pauses and event-loop stalls (latency-probe-preload.mjs), commit and
// batch histograms from /metrics, and per second of the run: publishes over 20 ms, the slowest, the stalls.
// BENCH_GATEWAY_NODE_ARGS and UCID_NODE_DEFAULT_MEMORY pass through to the gateway as in mqtt-ingest.mjs.
import { readFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from './mqtt-load.mjs';
import { histogramBetween, startGateway } from './peers.mjs';

const rate = Number(process.argv[2] ?? 8_000);
const messages = Number(process.argv[3] ?? rate * 20);
const out = path.join(tmpdir(), `ucid-latency-probe-${process.pid}.json`);
const preload = path.join(path.dirname(fileURLToPath(import.meta.url)), 'latency-probe-preload.mjs');
process.env.BENCH_GATEWAY_NODE_ARGS = `--import ${preload} ${process.env.BENCH_GATEWAY_NODE_ARGS ?? ''}`;
process.env.LATENCY_PROBE_OUT = out;
// BENCH_PROFILE_STALLS=1: profile the gateway's main thread for 10 s from 5 s into the paced run, and print what
// runs during the event-loop stalls against what runs overall (the profiler itself costs the gateway CPU)
const profileStalls = process.env.BENCH_PROFILE_STALLS === '1';
if (profileStalls) process.env.LATENCY_PROBE_PROFILE = '1';
const sensors = Array.from({ length: 100 }, (_, i) => ({
  id: `bench-${i % 4}-${Math.floor(i / 4)}`, lat: 41 + i * 0.001, lon: 28.95, contexts: ['CLIMATE'], expectedInterval: '1s',
}));

/** The shared load generator (4 publishers, QoS 1; paced when `pace` > 0), keeping [publish time, ms] per PUBACK. */
async function load(port, n, pace) {
  const lat = [];
  const r = await runLoad({ port, messages: n, qos: 1, rate: pace, sensors: 100, onAck: (at, ms) => lat.push([at, ms]) });
  return { lat, seconds: r.seconds, steadyP99Ms: r.steadyP99Ms };
}

/** Per-bucket counts (not cumulative) of a histogram between two /metrics texts. */
const histogram = (before, after, name) => {
  let prev = 0;
  return [...histogramBetween(before, after, name)].map(([le, c]) => {
    const s = `≤${le}:${c - prev}`;
    prev = c;
    return s;
  }).join(' ');
};
const cpuSeconds = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
};

const peer = await startGateway({ sensors });
let report;
try {
  await load(peer.port, 2_000, 0);
  const m0 = await peer.metrics();
  const cpu0 = cpuSeconds(peer.pid);
  const ownCpu0 = process.cpuUsage();
  const load0 = loadavg()[0];
  const profiling = profileStalls ? setTimeout(() => process.kill(peer.pid, 'SIGUSR2'), 5_000) : null;
  const r = await load(peer.port, messages, rate);
  if (profiling) clearTimeout(profiling);
  const own = process.cpuUsage(ownCpu0);
  report = { r, cpu: cpuSeconds(peer.pid) - cpu0, generatorCpu: (own.user + own.system) / 1e6, load0, m0, m1: await peer.metrics() };
} finally {
  await peer.stop();
}
const { r, cpu, generatorCpu, load0, m0, m1 } = report;
const sorted = r.lat.map((x) => x[1]).sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
console.log(`${Math.round(messages / r.seconds)} msg/s: PUBACK p50 ${q(0.5)} p99 ${q(0.99)} (after the first second ${r.steadyP99Ms.toFixed(1)}) p99.9 ${q(0.999)} max ${q(1)} ms; gateway CPU ${(100 * cpu / r.seconds).toFixed(0)}% of a core, load generator ${(100 * generatorCpu / r.seconds).toFixed(0)}%; load ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`);
console.log(`arrival→commit (s) ${histogram(m0, m1, 'ucid_streaming_latency_seconds')}`);
console.log(`commit (s)         ${histogram(m0, m1, 'ucid_store_commit_seconds')}`);
console.log(`batch (readings)   ${histogram(m0, m1, 'ucid_store_commit_batch_readings')}`);
if (existsSync(out)) {
  const { gc, stalls } = JSON.parse(readFileSync(out, 'utf8'));
  const t0 = r.lat.reduce((m, x) => Math.min(m, x[0]), Infinity);
  const inRun = (t) => t >= t0 && t <= t0 + r.seconds * 1000;
  const kinds = {};
  for (const [t, ms, kind] of gc.filter((g) => inRun(g[0]))) {
    const k = ({ 1: 'scavenge', 2: 'minor-ms', 4: 'mark-compact', 8: 'incremental', 16: 'weak' })[kind] ?? kind;
    kinds[k] ??= { n: 0, ms: 0, max: 0 };
    kinds[k].n++;
    kinds[k].ms += ms;
    kinds[k].max = Math.max(kinds[k].max, ms);
  }
  console.log(`GC: ${Object.entries(kinds).map(([k, v]) => `${k} ${v.n}× ${v.ms.toFixed(0)} ms (max ${v.max.toFixed(1)})`).join(', ')}`);
  const perSecond = [];
  for (const [t, ms] of r.lat) {
    const s = (perSecond[Math.floor((t - t0) / 1000)] ??= { over20: 0, max: 0, stalls: [], gcMs: 0 });
    if (ms > 20) s.over20++;
    s.max = Math.max(s.max, ms);
  }
  for (const [t, ms] of stalls.filter((s) => inRun(s[0]))) perSecond[Math.floor((t - t0) / 1000)]?.stalls.push(Math.round(ms));
  for (const [t, ms] of gc.filter((g) => inRun(g[0]))) {
    const s = perSecond[Math.floor((t - t0) / 1000)];
    if (s) s.gcMs += ms;
  }
  console.log('per second: publishes over 20 ms / slowest ms, GC ms [event-loop stalls over 12 ms]');
  console.log(perSecond.map((s, i) => `${i}: ${s.over20}/${Math.round(s.max)}, gc ${Math.round(s.gcMs)}${s.stalls.length ? ` [${s.stalls.join(',')}]` : ''}`).join('\n'));
}
if (profileStalls && existsSync(out)) printStallProfile(JSON.parse(readFileSync(out, 'utf8')));

/** Inclusive share of the main thread's busy samples by function: inside the stalls, and over the whole profile. */
function printStallProfile({ stalls, origin, monotonicOffsetUs, profile }) {
  if (!profile) return console.log('no profile: the run ended before the profiler did (run at least 15 s)');
  const spans = stalls.map(([at, ms]) => [(at - origin) * 1000 + monotonicOffsetUs, ms * 1000])
    .filter(([start, us]) => start + us >= profile.startTime && start <= profile.endTime);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;
  const inclusive = (into, id, us) => {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node.callFrame.functionName === '(root)') break;
      const k = name(node);
      if (!seen.has(k)) into.set(k, (into.get(k) ?? 0) + us);
      seen.add(k);
    }
  };
  const inside = new Map();
  const all = new Map();
  let busyInside = 0;
  let busyAll = 0;
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (['(idle)', '(program)', '(root)'].includes(byId.get(id).callFrame.functionName)) return;
    const us = profile.timeDeltas[i + 1] ?? 250;
    inclusive(all, id, us);
    busyAll += us;
    if (spans.some(([start, len]) => t >= start && t <= start + len)) {
      inclusive(inside, id, us);
      busyInside += us;
    }
  });
  console.log(`profile: ${spans.length} stalls (${spans.map(([, us]) => Math.round(us / 1000)).join(',')} ms), busy ${(busyInside / 1000).toFixed(0)} ms in them, ${(busyAll / 1000).toFixed(0)} ms in ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`);
  console.log('share of busy time in stalls / overall, inclusive:');
  for (const [k, us] of [...inside].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${(100 * us / busyInside).toFixed(1).padStart(6)} % ${(100 * (all.get(k) ?? 0) / busyAll).toFixed(1).padStart(6)} %  ${k}`);
  }
}
