// `node scripts/bench/mqtt-ingest.mjs` (part of `npm run bench`): the gateway's full pipeline against peers run
// side by side in the same run, with the same load generator, interleaved rounds; medians with min/max.
// Then publish→commit latency at half the gateway's QoS 1 maximum: seen by the publisher (publish → PUBACK, which
// the gateway sends after the commit) and by the gateway itself (arrival → commit, ucid_streaming_latency_seconds).
// Writes bench-results/mqtt-ingest.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { runLoad } from './mqtt-load.mjs';
import { startBareAedes, startGateway, startMosquitto } from './peers.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30_000);
const SENSORS = 100;

const benchSensors = Array.from({ length: 4 }, (_, c) => Array.from({ length: SENSORS / 4 }, (_, i) => ({
  id: `bench-${c}-${i}`, lat: 41.0 + i * 0.002, lon: 28.95 + c * 0.002, contexts: ['CLIMATE'], expectedInterval: '1s',
}))).flat();

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

async function measure(start, load) {
  const peer = await start();
  if (!peer) return null;
  try {
    await runLoad({ port: peer.port, messages: 2_000, qos: 1, sensors: SENSORS });
    const before = await peer.delivered();
    return await runLoad({ port: peer.port, messages: MESSAGES, sensors: SENSORS, delivered: async () => (await peer.delivered()) - before, ...load });
  } finally {
    await peer.stop();
  }
}

const peers = [
  ['gateway (full pipeline, persisted)', () => startGateway({ sensors: benchSensors })],
  ['bare aedes', startBareAedes],
  ['mosquitto', startMosquitto],
];

const results = {};
for (const qos of [1, 0]) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start] of peers) {
      const r = await measure(start, { qos });
      if (!r) continue;
      (results[`qos${qos}:${name}`] ??= []).push(r);
      console.error(`qos${qos} round ${round + 1} ${name}: ${Math.round(r.msgsPerSec)} msg/s${qos === 0 ? `, ${(100 * r.delivered).toFixed(1)}% delivered` : ''}`);
    }
  }
}

// publish→commit latency at half the measured max rate (the gateway PUBACKs only after the commit)
const maxRate = stats(results['qos1:gateway (full pipeline, persisted)'].map((r) => r.msgsPerSec)).median;
const halfRate = Math.round(maxRate / 2 / 100) * 100;
const paced = [];
/** p-quantile (upper bucket bound) of a Prometheus histogram's cumulative buckets, in ms. */
const histogramQuantile = (text, name, q) => {
  const buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket`)) continue;
    const le = /le="([^"]+)"/.exec(line)[1];
    buckets.set(le, (buckets.get(le) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  const total = buckets.get('+Inf') ?? 0;
  for (const [le, n] of buckets) if (n >= q * total) return le === '+Inf' ? Infinity : Number(le) * 1000;
  return null;
};
for (let round = 0; round < ROUNDS; round++) {
  const peer = await startGateway({ sensors: benchSensors });
  try {
    await runLoad({ port: peer.port, messages: 2_000, qos: 1, sensors: SENSORS });
    const before = await peer.metrics();
    const r = await runLoad({ port: peer.port, qos: 1, rate: halfRate, messages: halfRate * 20, sensors: SENSORS });
    const after = await peer.metrics();
    // the gateway's histogram over the paced part only: subtract the warm-up's buckets
    const diff = after.split('\n').map((line) => {
      if (!line.startsWith('ucid_streaming_latency_seconds_bucket')) return line;
      const key = line.slice(0, line.lastIndexOf(' '));
      const was = before.split('\n').find((l) => l.startsWith(`${key} `));
      return `${key} ${Number(line.slice(line.lastIndexOf(' ') + 1)) - (was ? Number(was.slice(was.lastIndexOf(' ') + 1)) : 0)}`;
    }).join('\n');
    paced.push({ ...r, gatewayP50Ms: histogramQuantile(diff, 'ucid_streaming_latency_seconds', 0.5), gatewayP99Ms: histogramQuantile(diff, 'ucid_streaming_latency_seconds', 0.99), loadavg: os.loadavg()[0] });
  } finally {
    await peer.stop();
  }
}

const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  messages: MESSAGES, rounds: ROUNDS,
  throughput: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, stats(v.map((r) => r.msgsPerSec))])),
  qos0Delivered: Object.fromEntries(Object.entries(results).filter(([k]) => k.startsWith('qos0')).map(([k, v]) => [k, stats(v.map((r) => r.delivered))])),
  latencyAtHalfRate: {
    rate: halfRate, seconds: 20, p50Ms: stats(paced.map((r) => r.p50Ms)), p99Ms: stats(paced.map((r) => r.p99Ms)),
    gatewayP50MsAtMost: stats(paced.map((r) => r.gatewayP50Ms)), gatewayP99MsAtMost: stats(paced.map((r) => r.gatewayP99Ms)), loadavg: paced.map((r) => r.loadavg),
  },
};
const gw1 = summary.throughput['qos1:gateway (full pipeline, persisted)'].median;
summary.ratios = {
  qos1GatewayVsBareAedes: gw1 / summary.throughput['qos1:bare aedes'].median,
  qos1GatewayVsMosquitto: summary.throughput['qos1:mosquitto'] ? gw1 / summary.throughput['qos1:mosquitto'].median : null,
  qos0GatewayVsBareAedes: summary.throughput['qos0:gateway (full pipeline, persisted)'].median / summary.throughput['qos0:bare aedes'].median,
};

const fmt = (n) => (n === null || n === undefined ? '–' : n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));
const lines = [
  `# MQTT ingest benchmark (${new Date().toISOString()})`, '',
  `${summary.machine.cpus} × ${summary.machine.model}, ${summary.machine.memGiB} GiB, Node ${summary.machine.node}; ${MESSAGES} messages per run, 4 publishers, 100 in flight each, ${ROUNDS} interleaved rounds.`,
  'QoS 1: acknowledged messages per second (the gateway acknowledges after the SQLite commit). QoS 0: messages that reached the peer per second (gateway: rows committed; brokers: deliveries to a sensors/# subscriber), with the fraction delivered.', '',
  '| run | median msg/s | min | max |', '|---|---|---|---|',
  ...Object.entries(summary.throughput).map(([k, s]) => `| ${k} | ${fmt(s.median)} | ${fmt(s.min)} | ${fmt(s.max)} |`), '',
  '| QoS 0 delivered | median | min |', '|---|---|---|',
  ...Object.entries(summary.qos0Delivered).map(([k, s]) => `| ${k} | ${(100 * s.median).toFixed(1)}% | ${(100 * s.min).toFixed(1)}% |`), '',
  `| ratio | value |`, '|---|---|',
  ...Object.entries(summary.ratios).map(([k, v]) => `| ${k} | ${fmt(v)} |`), '',
  `publish→commit (PUBACK) latency at ${halfRate} msg/s (half the QoS 1 max), 20 s per round: p50 ${fmt(summary.latencyAtHalfRate.p50Ms.median)} ms, p99 ${fmt(summary.latencyAtHalfRate.p99Ms.median)} ms (median of ${ROUNDS}; p99 range ${fmt(summary.latencyAtHalfRate.p99Ms.min)}–${fmt(summary.latencyAtHalfRate.p99Ms.max)} ms).`,
  `The gateway's own arrival→commit histogram in the same runs (bucket upper bounds): p50 ≤ ${fmt(summary.latencyAtHalfRate.gatewayP50MsAtMost.median)} ms, p99 ≤ ${fmt(summary.latencyAtHalfRate.gatewayP99MsAtMost.median)} ms (range ${fmt(summary.latencyAtHalfRate.gatewayP99MsAtMost.min)}–${fmt(summary.latencyAtHalfRate.gatewayP99MsAtMost.max)}); 1-minute load average ${summary.latencyAtHalfRate.loadavg.map((l) => l.toFixed(1)).join(', ')}.`,
];
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/mqtt-ingest.json', JSON.stringify(summary, null, 2));
writeFileSync('bench-results/mqtt-ingest.md', `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
