// Reading → alert latency at the embedded broker's alert topic, under a steady background load
// (issue 6: p50/p99 at 2,000 readings/s; target p99 ≤ 100 ms). Writes bench-results/alerts.{json,md}.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import mqtt from 'mqtt';
import { startGateway } from './peers.mjs';

const RATE = Number(process.env.BENCH_ALERT_RATE ?? 2_000);
const SECONDS = Number(process.env.BENCH_ALERT_SECONDS ?? 60);
const CROSSINGS_PER_SECOND = 5;
const SENSORS = 100;

const sensors = Array.from({ length: SENSORS }, (_, i) => ({ id: `load-${i}`, lat: 41 + (i % 10) * 0.002, lon: 28.95 + Math.floor(i / 10) * 0.002, contexts: ['CLIMATE'], expectedInterval: '1h' }));
sensors.push({ id: 'probe', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '1h' });

const gateway = await startGateway({
  sensors,
  alerts: {
    thresholds: [{ name: 'hot', on: 'metric', context: 'CLIMATE', metric: 'temperature', direction: 'above', warning: 35 }],
    anomaly: { enabled: false },
  },
});
const url = `mqtt://127.0.0.1:${gateway.port}`;
const load = await mqtt.connectAsync(url, { clientId: 'alert-bench-load' });
const probe = await mqtt.connectAsync(url, { clientId: 'alert-bench-probe' });
const listener = await mqtt.connectAsync(url, { clientId: 'alert-bench-listener' });

const sentAt = new Map();
const latencies = [];
listener.on('message', (_topic, payload) => {
  const event = JSON.parse(payload.toString());
  const t0 = sentAt.get(event.value);
  if (t0 !== undefined) latencies.push(performance.now() - t0);
});
await listener.subscribeAsync('ucid/alerts/IST/CLIMATE', { qos: 0 });

// background: RATE readings/s of ordinary temperatures from SENSORS sensors, QoS 1, paced every 10 ms
let n = 0;
const background = setInterval(() => {
  for (let i = 0; i < RATE / 100; i++, n++) {
    load.publish(`sensors/temperature/load-${n % SENSORS}`, JSON.stringify({ value: 18 + (n % 7), ts: Date.now() }), { qos: 1 });
  }
}, 10);

// the probe alternates above and below the threshold: every crossing raises or clears an alert
let crossing = 0;
const crossings = setInterval(() => {
  const value = crossing % 2 === 0 ? 40 + (crossing % 1000) / 1000 : 20 + (crossing % 1000) / 1000;
  crossing++;
  sentAt.set(value, performance.now());
  probe.publish('sensors/temperature/probe', JSON.stringify({ value, ts: Date.now() }), { qos: 1 });
}, 1000 / CROSSINGS_PER_SECOND);

await new Promise((r) => setTimeout(r, SECONDS * 1000));
clearInterval(background);
clearInterval(crossings);
await new Promise((r) => setTimeout(r, 1000));
await Promise.all([load.endAsync(), probe.endAsync(), listener.endAsync()]);
await gateway.stop();

latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  backgroundReadingsPerSec: RATE, seconds: SECONDS, crossings: crossing, alertsReceived: latencies.length,
  p50Ms: pct(50), p99Ms: pct(99), maxMs: latencies[latencies.length - 1],
};
const line = `reading → alert at ucid/alerts/IST/CLIMATE under ${RATE} readings/s (QoS 1, ${SENSORS} sensors), ${latencies.length}/${crossing} alerts: p50 ${summary.p50Ms?.toFixed(1)} ms, p99 ${summary.p99Ms?.toFixed(1)} ms, max ${summary.maxMs?.toFixed(1)} ms (target p99 ≤ 100 ms)`;
mkdirSync('bench-results', { recursive: true });
writeFileSync('bench-results/alerts.json', JSON.stringify(summary, null, 2));
writeFileSync('bench-results/alerts.md', `# Alert latency (${new Date().toISOString()})\n\n${line}\n`);
console.log(line);
