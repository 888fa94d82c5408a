// `node scripts/bench/ws.mjs` (after `npm run build`): the LAN WebSocket API under load.
//  1. publish→WebSocket delivery latency at a steady rate (default 2,000 readings/s over MQTT QoS 1) with 20
//     dashboard clients attached, each receiving every reading (4,000 sensors at one reading per 2 s, so the
//     1 s per-sensor throttle holds none back);
//  2. MQTT ingest throughput (QoS 1, as fast as PUBACKs come) with and without 20 clients, interleaved rounds;
//     the clients run in a child process (ws-clients.mjs), so their receiving shares the cores but not the
//     load generator's event loop.
// Writes bench-results/ws.json and ws.md.
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import mqtt from 'mqtt';
import WebSocket from 'ws';
import { runLoad } from './mqtt-load.mjs';
import { startGateway } from './peers.mjs';
import { median } from './stats.mjs';

const CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 20);
const RATE = Number(process.env.BENCH_WS_RATE ?? 2_000);
const SECONDS = Number(process.env.BENCH_WS_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 30_000);
const SENSORS = 4_000;
const TOKEN = 'bench-lan-token-0123456789';

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
/** CPU time (user + system) a process has used, ms, from /proc (clock ticks of 10 ms). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

async function gateway() {
  const httpPort = await freePort();
  const gw = await startGateway({ http: { host: '127.0.0.1', port: httpPort, token: TOKEN } });
  return { ...gw, httpPort };
}

async function attachClients(httpPort, onMessage) {
  const sockets = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws/ucid/IST?token=${TOKEN}`);
    ws.on('message', (data) => onMessage(i, data));
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'subscribe', readings: true }));
      resolve(ws);
    });
    ws.once('error', reject);
  })));
  return () => Promise.all(sockets.map((ws) => new Promise((resolve) => {
    ws.once('close', resolve);
    ws.close();
  })));
}

/** Steady publishing; every reading's publish time is kept to match the `reading` messages that come back. */
async function latencyRun() {
  const gw = await gateway();
  const sent = new Map();
  const latencies = [];
  const acks = [];
  let delivered = 0;
  let measuring = false;
  const close = await attachClients(gw.httpPort, (_i, data) => {
    const m = JSON.parse(data);
    if (m.type !== 'reading') return;
    const t0 = sent.get(`${m.sensor_id}|${m.ts}`);
    if (t0 === undefined) return;
    delivered++;
    if (measuring) latencies.push(performance.now() - t0);
  });
  const publishers = await Promise.all(Array.from({ length: 4 }, (_, i) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${gw.port}`, { clientId: `ws-bench-${process.pid}-${i}`, reconnectPeriod: 0 })));
  let seq = 0;
  let published = 0;
  const perTick = RATE / 100;
  const started = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * RATE);
      for (let n = 0; published < due && n < perTick * 5; n++, published++) {
        const sensor = `ws-bench-${seq++ % SENSORS}`;
        const ts = Date.now();
        const t0 = performance.now();
        sent.set(`${sensor}|${ts}`, t0);
        publishers[seq % 4].publish(`sensors/pm25/${sensor}`, JSON.stringify({ value: 10 + (seq % 50), ts }), { qos: 1 }, () => {
          if (measuring) acks.push(performance.now() - t0);
        });
      }
      const elapsed = (performance.now() - started) / 1000;
      measuring = elapsed > 3;
      if (elapsed > SECONDS + 3) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  await new Promise((r) => setTimeout(r, 1_000));
  await Promise.all(publishers.map((p) => p.endAsync()));
  await close();
  await gw.stop();
  latencies.sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  return {
    published, expected: published * CLIENTS, delivered, p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99), maxMs: latencies.at(-1),
    samples: latencies.length, pubackP50Ms: pct(acks, 50), pubackP99Ms: pct(acks, 99), loadavg: os.loadavg()[0],
  };
}

/** The clients in a child process (ws-clients.mjs), as dashboards on their own devices: same cores, own event loop. */
async function clientProcess(httpPort) {
  const child = fork(new URL('./ws-clients.mjs', import.meta.url), [`ws://127.0.0.1:${httpPort}/ws/ucid/IST?token=${TOKEN}`, String(CLIENTS)]);
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`ws-clients exited with ${code}`)));
  });
  const ask = () => new Promise((resolve) => {
    child.once('message', (m) => resolve(m.received));
    child.send('count');
  });
  return {
    received: ask,
    close: () => new Promise((resolve) => {
      child.removeAllListeners('exit');
      child.once('exit', resolve);
      child.send('close');
    }),
  };
}

async function throughputRun(withClients) {
  const gw = await gateway();
  const clients = withClients ? await clientProcess(gw.httpPort) : null;
  await runLoad({ port: gw.port, messages: 2_000, sensors: SENSORS });
  await clients?.received();
  const cpuBefore = cpuMs(gw.pid);
  const r = await runLoad({ port: gw.port, messages: MESSAGES, sensors: SENSORS, qos: 1 });
  const cpuPerThousand = ((cpuMs(gw.pid) - cpuBefore) / MESSAGES) * 1000;
  const received = (await clients?.received()) ?? 0;
  await clients?.close();
  await gw.stop();
  return { msgsPerSec: r.msgsPerSec, wsMessagesPerSec: received / r.seconds, gatewayCpuMsPer1000: cpuPerThousand, loadavg: os.loadavg()[0] };
}

const latency = [];
for (let round = 0; round < ROUNDS; round++) {
  latency.push(await latencyRun());
  const r = latency.at(-1);
  console.error(`latency round ${round + 1}: p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms (PUBACK p50 ${r.pubackP50Ms.toFixed(2)}, p99 ${r.pubackP99Ms.toFixed(2)}; load ${r.loadavg.toFixed(1)})`);
}
const without = [];
const withWs = [];
for (let round = 0; round < ROUNDS; round++) {
  without.push(await throughputRun(false));
  withWs.push(await throughputRun(true));
  console.error(`ingest round ${round + 1}: ${Math.round(without.at(-1).msgsPerSec)} msg/s alone, ${Math.round(withWs.at(-1).msgsPerSec)} msg/s with ${CLIENTS} clients`);
}

const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  clients: CLIENTS, rate: RATE, seconds: SECONDS, rounds: ROUNDS, sensors: SENSORS,
  latency: {
    p50Ms: median(latency.map((r) => r.p50Ms)), p99Ms: median(latency.map((r) => r.p99Ms)),
    p99RangeMs: [Math.min(...latency.map((r) => r.p99Ms)), Math.max(...latency.map((r) => r.p99Ms))],
    pubackP50Ms: median(latency.map((r) => r.pubackP50Ms)), pubackP99Ms: median(latency.map((r) => r.pubackP99Ms)),
    deliveredRatio: median(latency.map((r) => r.delivered / r.expected)), rounds: latency,
  },
  ingest: {
    withoutClients: median(without.map((r) => r.msgsPerSec)), withClients: median(withWs.map((r) => r.msgsPerSec)),
    wsMessagesPerSec: median(withWs.map((r) => r.wsMessagesPerSec)), rounds: { without, with: withWs },
    cpuMsPer1000Without: median(without.map((r) => r.gatewayCpuMsPer1000)), cpuMsPer1000With: median(withWs.map((r) => r.gatewayCpuMsPer1000)),
  },
};
summary.ingest.ratio = summary.ingest.withClients / summary.ingest.withoutClients;
summary.ingest.cpuRatio = summary.ingest.cpuMsPer1000Without / summary.ingest.cpuMsPer1000With;

const f = (n) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));
const md = [
  `# WebSocket benchmark (${new Date().toISOString()})`, '',
  `${summary.machine.cpus} × ${summary.machine.model}, ${summary.machine.memGiB} GiB, Node ${summary.machine.node}; the load generator and the ${CLIENTS} clients run on the same machine as the gateway.`, '',
  `publish→WebSocket latency, ${RATE} readings/s (MQTT QoS 1, ${SENSORS} sensors), ${CLIENTS} clients, ${SECONDS} s per round, median of ${ROUNDS}: `
    + `p50 ${f(summary.latency.p50Ms)} ms, p99 ${f(summary.latency.p99Ms)} ms (p99 range ${f(summary.latency.p99RangeMs[0])}–${f(summary.latency.p99RangeMs[1])} ms); `
    + `${(summary.latency.deliveredRatio * 100).toFixed(2)}% of readings × clients delivered. `
    + `For comparison, publish→PUBACK (= SQLite commit) in the same runs: p50 ${f(summary.latency.pubackP50Ms)} ms, p99 ${f(summary.latency.pubackP99Ms)} ms.`,
  '', `1-minute load average during the latency rounds: ${latency.map((r) => r.loadavg.toFixed(1)).join(', ')} (other work on the machine skews every figure).`, '',
  '| MQTT QoS 1 ingest | median msg/s |', '|---|---|',
  `| without WebSocket clients | ${f(summary.ingest.withoutClients)} |`,
  `| with ${CLIENTS} clients (${f(summary.ingest.wsMessagesPerSec)} WebSocket msg/s out) | ${f(summary.ingest.withClients)} |`,
  `| ratio | ${summary.ingest.ratio.toFixed(2)} |`, '',
  `Gateway CPU per 1,000 readings ingested (from /proc, insensitive to other load): ${f(summary.ingest.cpuMsPer1000Without)} ms without clients, `
    + `${f(summary.ingest.cpuMsPer1000With)} ms with ${CLIENTS} clients: on a CPU-bound box ingest with clients runs at ${(summary.ingest.cpuRatio * 100).toFixed(0)}% of the rate without.`,
  `1-minute load average during the ingest rounds: ${[...without, ...withWs].map((r) => r.loadavg.toFixed(1)).join(', ')}.`,
];
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/ws.json', JSON.stringify(summary, null, 2));
writeFileSync('bench-results/ws.md', `${md.join('\n')}\n`);
console.log(md.join('\n'));
