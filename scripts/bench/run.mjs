// `npm run bench`: every benchmark script, one after another (each runs its peers side by side with the same
// load generator, interleaved rounds, medians with min/max), then bench-results/summary.{json,md}: the headline
// figures against the targets of issue 8, with the machine and its load. docs/benchmarks.md explains each.
//   BENCH_ONLY=mqtt-ingest,footprint npm run bench     (a subset; the summary uses the latest JSON of the others)
//   BENCH_ROUNDS=3 (per script)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const OUT = path.join(ROOT, 'bench-results');
const SCRIPTS = ['mqtt-ingest', 'footprint', 'commit-interval', 'ws', 'alerts', 'modbus', 'kafka-drain', 'startup'];
const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

mkdirSync(OUT, { recursive: true });
const ran = {};
for (const name of SCRIPTS) {
  if (only && !only.includes(name)) continue;
  const file = path.join(import.meta.dirname, `${name}.mjs`);
  if (!existsSync(file)) continue;
  const started = Date.now();
  console.error(`\n=== ${name} (load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  const r = spawnSync(process.execPath, [file], { cwd: ROOT, stdio: 'inherit', env: process.env });
  ran[name] = { status: r.status, seconds: (Date.now() - started) / 1000 };
}

const read = (name) => {
  try {
    return JSON.parse(readFileSync(path.join(OUT, `${name}.json`), 'utf8'));
  } catch {
    return null;
  }
};
const ingest = read('mqtt-ingest');
const footprint = read('footprint');
const perSensor = read('footprint-1000-clients');
const ws = read('ws');
const alerts = read('alerts');
const modbus = read('modbus');
const drain = read('kafka-drain');
const startup = read('startup');
const paced = ingest?.latencyAtHalfRate?.['gateway (full pipeline, persisted)'];
const pacedAedes = ingest?.latencyAtHalfRate?.['bare aedes'];
const fp = (load, peer, of = footprint) => of?.results?.[`${load}|${peer}`];
const steady = (footprint?.warmup ?? 0) + (footprint?.seconds ?? 0) >= 3_600;
const k1 = '1,000 sensors at 1 Hz';
const k10 = '10,000 sensors at 0.1 Hz';
const range = (s, digits = 1, scale = 1) => (s ? `${(s.median * scale).toFixed(digits)} (${(s.min * scale).toFixed(digits)}–${(s.max * scale).toFixed(digits)})` : '–');
const rows = [
  ['QoS 1 ingest, full pipeline ÷ bare aedes', ingest && ingest.ratios.qos1GatewayVsBareAedes.toFixed(2), '≥ 0.5', ingest && ingest.ratios.qos1GatewayVsBareAedes >= 0.5],
  ['QoS 1 ingest msg/s: gateway / bare aedes / Mosquitto', ingest && ['qos1:gateway (full pipeline, persisted)', 'qos1:bare aedes', 'qos1:mosquitto'].map((k) => (ingest.throughput[k] ? Math.round(ingest.throughput[k].median) : '–')).join(' / '), '', null],
  ['QoS 0 ingest, full pipeline ÷ bare aedes', ingest && ingest.ratios.qos0GatewayVsBareAedes.toFixed(2), '', null],
  [`publish→commit p99 at ${ingest?.latencyAtHalfRate?.rate ?? '?'} msg/s (½ max), publisher's view, ms: gateway (bare aedes)`, paced && `${range(paced.p99Ms)} (${range(pacedAedes?.p99Ms)})`, '≤ 20', paced && paced.p99Ms.median <= 20],
  ['same, after the paced run\'s first second (fresh connections), ms: gateway (bare aedes)', paced?.steadyP99Ms && `${range(paced.steadyP99Ms)} (${range(pacedAedes?.steadyP99Ms)})`, '', null],
  ['same, gateway arrival→commit histogram, p99 ≤ bucket, ms', range(paced?.gatewayP99MsAtMost), '≤ 20', paced?.gatewayP99MsAtMost ? paced.gatewayP99MsAtMost.median <= 20 : null],
  [`publish→dashboard (WebSocket) p50 / p99 at ${ws?.rate ?? '?'} readings/s, 20 clients, ms`, ws && `${ws.latency.p50Ms.toFixed(1)} / ${ws.latency.p99Ms.toFixed(1)}`, 'p99 ≤ 50 (issue 5)', ws && ws.latency.p99Ms <= 50],
  ['QoS 1 ingest with ÷ without 20 WebSocket clients', ws && ws.ingest.ratio.toFixed(2), '≥ 0.9 (issue 5)', ws && ws.ingest.ratio >= 0.9],
  [`reading→alert at the MQTT alert topic p50 / p99 under ${alerts?.backgroundReadingsPerSec ?? '?'} readings/s, ms`, alerts && `${alerts.p50Ms.toFixed(1)} / ${alerts.p99Ms.toFixed(1)} (${alerts.alertsReceived} alerts)`, 'p99 ≤ 100 (issue 6)', alerts && alerts.p99Ms <= 100],
  // the window state grows until the revision horizon (1 h) is full: only an hour's run can meet the target
  [`RSS at ${k1}, MiB, ${footprint?.warmup} s + ${footprint?.seconds} s run: gateway (bare aedes; bare aedes with the gateway's memory settings)`, fp(k1, 'gateway') && `${range(fp(k1, 'gateway').rssMeanMiB)} (${range(fp(k1, 'bare aedes')?.rssMeanMiB)}; ${range(fp(k1, 'bare aedes, gateway memory settings')?.rssMeanMiB)})${steady ? '' : '; not the steady state: BENCH_FOOTPRINT_SECONDS=3600 (docs/benchmarks.md)'}`, '≤ 80 MB (76.3 MiB) at the steady state', fp(k1, 'gateway') && steady ? fp(k1, 'gateway').rssMeanMiB.median * 1.048576 <= 80 : null],
  [`RSS at ${k10}, MiB: gateway (bare aedes)`, fp(k10, 'gateway') && `${range(fp(k10, 'gateway').rssMeanMiB)} (${range(fp(k10, 'bare aedes')?.rssMeanMiB)})`, '', null],
  [`CPU at ${k1}, % of one core: gateway (bare aedes)`, fp(k1, 'gateway') && `${range(fp(k1, 'gateway').cpuPercent)} (${range(fp(k1, 'bare aedes')?.cpuPercent)})`, '≤ 10', fp(k1, 'gateway') && fp(k1, 'gateway').cpuPercent.median <= 10],
  [`same load, a connection per sensor (BENCH_FOOTPRINT_CLIENTS=1000): RSS MiB / CPU %, gateway (bare aedes)`, fp(k1, 'gateway', perSensor) && `${range(fp(k1, 'gateway', perSensor).rssMeanMiB)} / ${range(fp(k1, 'gateway', perSensor).cpuPercent)} (${range(fp(k1, 'bare aedes', perSensor)?.rssMeanMiB)} / ${range(fp(k1, 'bare aedes', perSensor)?.cpuPercent)})`, '', null],
  ['CPU per 1,000 readings/s, % of one core (1 Hz / 0.1 Hz sites)', fp(k1, 'gateway') && `${range(fp(k1, 'gateway').cpuPer1kPerSec)} / ${range(fp(k10, 'gateway')?.cpuPer1kPerSec)}`, '', null],
  ['outbox drain ÷ Kafka ProducerPerformance, by compression', drain?.runs && drain.runs.map((r) => `${r.compression} ${r.ratio.toFixed(2)}`).join(', '), '≥ 0.3 (issue 3)', drain?.runs ? drain.runs.every((r) => r.ratio >= 0.3) : null],
  ['Modbus TCP driver ÷ bare modbus-serial (polls/s)', modbus?.tcp && modbus.tcp.ratio.toFixed(2), '', null],
  [`start-up to READY=1 with a ${startup ? (startup.dbBytes / 2 ** 30).toFixed(2) : '?'} GiB database after a crash (replay), s`, startup && range(startup.big.notify, 2, 1 / 1000), '≤ 2 (issue 7)', startup && startup.big.notify.median <= 2000],
  ['same, after a clean stop (window snapshot), s', startup?.bigClean && range(startup.bigClean.notify, 2, 1 / 1000), '≤ 2 (issue 7)', startup?.bigClean ? startup.bigClean.notify.median <= 2000 : null],
];
const summary = {
  at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavgAtEnd: os.loadavg() },
  ran,
  figures: rows.map(([figure, value, target, met]) => ({ figure, value: value ?? null, target: target || null, met: met ?? null })),
};
const md = [
  `# Benchmark summary (${summary.at})`, '',
  `${summary.machine.cpus} × ${summary.machine.model}, ${summary.machine.memGiB} GiB, Node ${process.version}; load average at the end ${summary.machine.loadavgAtEnd.map((l) => l.toFixed(1)).join(' ')}. Medians of interleaved rounds (min–max). Details: the other files in bench-results/, method in docs/benchmarks.md.`, '',
  '| figure | value | target | met |', '|---|---|---|---|',
  ...summary.figures.map((f) => `| ${f.figure} | ${f.value ?? '–'} | ${f.target ?? ''} | ${f.met === null ? '' : f.met ? 'yes' : '**no**'} |`),
];
writeFileSync(path.join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(path.join(OUT, 'summary.md'), `${md.join('\n')}\n`);
console.log(`\n${md.join('\n')}`);
process.exit(Object.values(ran).some((r) => r.status !== 0) ? 1 : 0);
