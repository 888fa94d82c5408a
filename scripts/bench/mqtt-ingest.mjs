// `node scripts/bench/mqtt-ingest.mjs` (part of `npm run bench`): the gateway's full pipeline against peers run
// side by side in the same run, with the same load generator, interleaved rounds; medians with min/max.
// Then publish→commit latency at half the gateway's QoS 1 maximum: seen by the publisher (publish → PUBACK, which
// the gateway sends after the commit) and by the gateway itself (arrival → commit, ucid_streaming_latency_seconds).
// Writes bench-results/mqtt-ingest.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { runLoad } from './mqtt-load.mjs';
import { histogramBetween, startBareAedes, startGateway, startMosquitto } from './peers.mjs';
import { stats } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30_000);
const SENSORS = 100;

const benchSensors = Array.from({ length: 4 }, (_, c) => Array.from({ length: SENSORS / 4 }, (_, i) => ({
  id: `bench-${c}-${i}`, lat: 41.0 + i * 0.002, lon: 28.95 + c * 0.002, contexts: ['CLIMATE'], expectedInterval: '1s',
}))).flat();


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

/**
 * Round r starts with peer r (mod 3): the load generator speeds up over its first runs (its own JIT), and the peer
 * always run first measured it cold (the gateway's first QoS 1 round was 25,594 msg/s, its third 37,778).
 */
const inTurn = (round) => peers.map((_, i) => peers[(i + round) % peers.length]);

// the generator's warm-up, unmeasured
await measure(startBareAedes, { qos: 1 });

const results = {};
for (const qos of [1, 0]) {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start] of inTurn(round)) {
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
const paced = {};
/** p-quantile (upper bucket bound), in ms, of cumulative bucket counts from `histogramBetween`. */
const quantileMs = (buckets, q) => {
  const total = buckets.get('+Inf') ?? 0;
  for (const [le, n] of buckets) if (n >= q * total) return le === '+Inf' ? Infinity : Number(le) * 1000;
  return null;
};
// every peer at the gateway's half rate, interleaved: the brokers' PUBACK latency is the floor under the gateway's
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, start] of inTurn(round)) {
    const peer = await start();
    if (!peer) continue;
    try {
      await runLoad({ port: peer.port, messages: 2_000, qos: 1, sensors: SENSORS });
      const before = peer.metrics ? await peer.metrics() : '';
      const r = await runLoad({ port: peer.port, qos: 1, rate: halfRate, messages: halfRate * 20, sensors: SENSORS });
      // the gateway's own arrival→commit histogram over the paced part only
      const own = peer.metrics ? histogramBetween(before, await peer.metrics(), 'ucid_streaming_latency_seconds') : null;
      (paced[name] ??= []).push({
        ...r, loadavg: os.loadavg()[0],
        gatewayP50Ms: own && quantileMs(own, 0.5),
        gatewayP99Ms: own && quantileMs(own, 0.99),
      });
      console.error(`paced ${halfRate} msg/s round ${round + 1} ${name}: PUBACK p99 ${r.p99Ms.toFixed(1)} ms, after the first second ${r.steadyP99Ms.toFixed(1)} ms`);
    } finally {
      await peer.stop();
    }
  }
}

const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  messages: MESSAGES, rounds: ROUNDS,
  throughput: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, stats(v.map((r) => r.msgsPerSec))])),
  qos0Delivered: Object.fromEntries(Object.entries(results).filter(([k]) => k.startsWith('qos0')).map(([k, v]) => [k, stats(v.map((r) => r.delivered))])),
  latencyAtHalfRate: {
    rate: halfRate, seconds: 20,
    ...Object.fromEntries(Object.entries(paced).map(([name, rs]) => [name, {
      p50Ms: stats(rs.map((r) => r.p50Ms)), p99Ms: stats(rs.map((r) => r.p99Ms)), steadyP99Ms: stats(rs.map((r) => r.steadyP99Ms)), loadavg: rs.map((r) => r.loadavg),
      ...(rs[0].gatewayP99Ms === null ? {} : { gatewayP50MsAtMost: stats(rs.map((r) => r.gatewayP50Ms)), gatewayP99MsAtMost: stats(rs.map((r) => r.gatewayP99Ms)) }),
    }])),
  },
};
const gw1 = summary.throughput['qos1:gateway (full pipeline, persisted)'].median;
summary.ratios = {
  qos1GatewayVsBareAedes: gw1 / summary.throughput['qos1:bare aedes'].median,
  qos1GatewayVsMosquitto: summary.throughput['qos1:mosquitto'] ? gw1 / summary.throughput['qos1:mosquitto'].median : null,
  qos0GatewayVsBareAedes: summary.throughput['qos0:gateway (full pipeline, persisted)'].median / summary.throughput['qos0:bare aedes'].median,
};

const ownLatency = summary.latencyAtHalfRate['gateway (full pipeline, persisted)'];
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
  `publish→PUBACK latency at ${halfRate} msg/s (half the gateway's QoS 1 max), 20 s per round, each peer in turn (the gateway acknowledges after the commit): median of ${ROUNDS} rounds (min–max). "After the first second" leaves out the publishes of the first second of the paced run (fresh connections).`, '',
  '| peer | p50 ms | p99 ms | p99 after the first second, ms | load average |', '|---|---|---|---|---|',
  ...Object.entries(summary.latencyAtHalfRate).filter(([, v]) => typeof v === 'object').map(([name, v]) =>
    `| ${name} | ${fmt(v.p50Ms.median)} | ${fmt(v.p99Ms.median)} (${fmt(v.p99Ms.min)}–${fmt(v.p99Ms.max)}) | ${fmt(v.steadyP99Ms.median)} (${fmt(v.steadyP99Ms.min)}–${fmt(v.steadyP99Ms.max)}) | ${v.loadavg.map((l) => l.toFixed(1)).join(', ')} |`), '',
  ...(ownLatency ? [`The gateway's own arrival→commit histogram in the same runs (bucket upper bounds): p50 ≤ ${fmt(ownLatency.gatewayP50MsAtMost.median)} ms, p99 ≤ ${fmt(ownLatency.gatewayP99MsAtMost.median)} ms (range ${fmt(ownLatency.gatewayP99MsAtMost.min)}–${fmt(ownLatency.gatewayP99MsAtMost.max)}).`] : []),
];
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/mqtt-ingest.json', JSON.stringify(summary, null, 2));
writeFileSync('bench-results/mqtt-ingest.md', `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
