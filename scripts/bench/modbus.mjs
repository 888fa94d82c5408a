// Modbus poll throughput: the gateway's modbus driver vs a bare modbus-serial loop against the same pymodbus
// server, interleaved rounds, medians. TCP on loopback; RTU over a socat pty pair, which has no baud timing,
// so the RTU wire limit at the configured baud is computed from frame sizes instead.
// Run: npm run build && node scripts/bench/modbus.mjs   (BENCH_SECONDS, BENCH_ROUNDS, BENCH_REGISTERS, BENCH_BAUD)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ModbusRTU from 'modbus-serial';
import { median } from './stats.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REGISTERS = Number(process.env.BENCH_REGISTERS ?? 10);
const BAUD = Number(process.env.BENCH_BAUD ?? 9600);
const PYTHON = path.join(ROOT, '.venv/bin/python');
const dir = mkdtempSync(path.join(os.tmpdir(), 'ucid-bench-modbus-'));

const { createDriver } = await import(path.join(ROOT, 'dist/drivers/modbus/driver.js'));
const { modbusSchema, t35Ms, bitsPerChar } = await import(path.join(ROOT, 'dist/drivers/modbus/schema.js'));

function startPeer(args) {
  const values = Array.from({ length: REGISTERS }, (_, i) => ({ unit: 1, table: 'holding', address: i, type: 'uint16', value: i }));
  const file = path.join(dir, 'values.json');
  writeFileSync(file, JSON.stringify(values));
  const child = spawn(PYTHON, [path.join(ROOT, 'test/peers/modbus_server.py'), '--units', '1', '--values', file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`pymodbus exited ${code}`)));
    lines.once('line', (line) => resolve({ port: Number(line.split(' ')[1]), stop: () => { child.kill('SIGKILL'); } }));
  });
}

function startPty() {
  const a = path.join(dir, 'driver');
  const b = path.join(dir, 'device');
  const child = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (existsSync(a) && existsSync(b)) {
        clearInterval(check);
        resolve({ a, b, stop: () => child.kill('SIGTERM') });
      }
    }, 20);
  });
}

async function bareLoop(connect) {
  const client = new ModbusRTU();
  await connect(client);
  client.setID(1);
  client.setTimeout(1000);
  let reads = 0;
  const end = Date.now() + SECONDS * 1000;
  const cpu = process.cpuUsage();
  while (Date.now() < end) {
    await client.readHoldingRegisters(0, REGISTERS);
    reads++;
  }
  const cpuUs = cpuMicros(cpu) / reads;
  await new Promise((resolve) => client.close(resolve));
  return { rate: reads / SECONDS, cpuUs };
}

async function driverLoop(connection, extra = {}) {
  let readings = 0;
  const context = {
    log: { info() {}, warn() {}, error() {}, debug() {} },
    embeddedBroker: null,
    submit: async (batch) => { readings += batch.length; },
    reject: async () => {},
    setHealth() {}, countError() {}, markReading() {},
  };
  const registers = Array.from({ length: REGISTERS }, (_, i) => ({ metric: `r${i}`, address: i }));
  const config = modbusSchema.parse({ type: 'modbus', name: 'bench', connection, timeout: '1s', ...extra, devices: [{ unitId: 1, sensorId: 'bench', interval: 0, registers }] });
  const driver = createDriver(config, context);
  await driver.start();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const from = readings;
  const cpu = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const polls = (readings - from) / REGISTERS / SECONDS;
  const cpuUs = cpuMicros(cpu) / (polls * SECONDS);
  await driver.stop();
  return { rate: polls, cpuUs };
}

// Client-side CPU per read (user + system µs of this process): steadier than rates on a shared machine.
const cpuMicros = (since) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};
const results = { tcpBare: [], tcpDriver: [], rtuPtyBare: [], rtuPtyDriver: [], rtuPtyDriverNoGap: [] };
const cpu = Object.fromEntries(Object.keys(results).map((k) => [k, []]));
const record = (key, { rate, cpuUs }) => {
  results[key].push(rate);
  cpu[key].push(cpuUs);
};
const ratios = (a, b) => results[a].map((x, i) => x / results[b][i]);

const tcpPeer = await startPeer(['--tcp', '0']);
const tcp = { transport: 'tcp', host: '127.0.0.1', port: tcpPeer.port };
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which runs first so warm-up and drifting machine load fall on both sides.
  const runs = [
    async () => record('tcpBare', await bareLoop((c) => c.connectTCP('127.0.0.1', { port: tcpPeer.port }))),
    async () => record('tcpDriver', await driverLoop(tcp)),
  ];
  for (const run of round % 2 ? runs.reverse() : runs) await run();
  console.error(`TCP round ${round + 1}: bare ${Math.round(results.tcpBare.at(-1))} reads/s, driver ${Math.round(results.tcpDriver.at(-1))} polls/s`);
}
tcpPeer.stop();

const pty = await startPty();
const rtuPeer = await startPeer(['--serial', pty.b, '--baud', String(BAUD)]);
const rtu = { transport: 'rtu', path: pty.a, baudRate: BAUD };
for (let round = 0; round < ROUNDS; round++) {
  const runs = [
    async () => record('rtuPtyBare', await bareLoop((c) => c.connectRTUBuffered(pty.a, { baudRate: BAUD }))),
    async () => record('rtuPtyDriverNoGap', await driverLoop(rtu, { frameGap: 0 })),
    async () => record('rtuPtyDriver', await driverLoop(rtu)),
  ];
  for (const run of round % 2 ? runs.reverse() : runs) await run();
  console.error(`RTU/pty round ${round + 1}: bare ${Math.round(results.rtuPtyBare.at(-1))} reads/s, driver ${Math.round(results.rtuPtyDriver.at(-1))} polls/s, without t3.5 ${Math.round(results.rtuPtyDriverNoGap.at(-1))} polls/s`);
}
rtuPeer.stop();
pty.stop();

// One read on the wire: request (unit, fc, addr×2, count×2, crc×2 = 8 chars), response (5 + 2n chars),
// and the t3.5 silence after each frame (MODBUS over Serial Line v1.02 §2.5.1.1); device turnaround excluded.
const line = modbusSchema.parse({ type: 'modbus', connection: rtu, devices: [{ unitId: 1, sensorId: 's', registers: [{ metric: 'v', address: 0 }] }] }).connection;
const charMs = (bitsPerChar(line) * 1000) / BAUD;
const cycleMs = (8 + 5 + 2 * REGISTERS) * charMs + 2 * t35Ms(line);
const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
  registersPerRead: REGISTERS, seconds: SECONDS,
  tcp: { bareReadsPerSec: median(results.tcpBare), driverPollsPerSec: median(results.tcpDriver) },
  rtu: {
    baud: BAUD, framing: `${line.dataBits}${line.parity[0].toUpperCase()}${line.stopBits}`,
    wireBoundReadsPerSec: 1000 / cycleMs, cycleMs,
    ptyBareReadsPerSec: median(results.rtuPtyBare), ptyDriverPollsPerSec: median(results.rtuPtyDriver),
    ptyDriverNoGapPollsPerSec: median(results.rtuPtyDriverNoGap),
  },
  clientCpuUsPerRead: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)])),
  rounds: results,
};
// Ratios per round (same minute, same machine load), then the median.
summary.tcp.ratio = median(ratios('tcpDriver', 'tcpBare'));
summary.tcp.ratioRange = [Math.min(...ratios('tcpDriver', 'tcpBare')), Math.max(...ratios('tcpDriver', 'tcpBare'))];
summary.rtu.ptyNoGapRatio = median(ratios('rtuPtyDriverNoGap', 'rtuPtyBare'));
summary.rtu.ptyNoGapRatioRange = [Math.min(...ratios('rtuPtyDriverNoGap', 'rtuPtyBare')), Math.max(...ratios('rtuPtyDriverNoGap', 'rtuPtyBare'))];

const f = (n) => (n >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(2));
const lines = [
  `# Modbus poll benchmark (${new Date().toISOString()})`, '',
  `${summary.machine.cpus} × ${summary.machine.model}, Node ${summary.machine.node}; pymodbus 3.11 server; ${REGISTERS} holding registers per read; ${ROUNDS} interleaved rounds of ${SECONDS} s, medians.`, '',
  '| run | reads/s |', '|---|---|',
  `| TCP bare modbus-serial loop | ${f(summary.tcp.bareReadsPerSec)} |`,
  `| TCP gateway driver (poll interval 0, commit awaited) | ${f(summary.tcp.driverPollsPerSec)} |`,
  `| **TCP ratio driver / bare** (median of per-round ratios; range) | **${summary.tcp.ratio.toFixed(2)}** (${summary.tcp.ratioRange.map((r) => r.toFixed(2)).join('–')}) |`,
  `| RTU over pty, bare loop (no baud timing) | ${f(summary.rtu.ptyBareReadsPerSec)} |`,
  `| RTU over pty, driver, frameGap 0 | ${f(summary.rtu.ptyDriverNoGapPollsPerSec)} |`,
  `| RTU over pty, ratio driver (frameGap 0) / bare (range) | ${summary.rtu.ptyNoGapRatio.toFixed(2)} (${summary.rtu.ptyNoGapRatioRange.map((r) => r.toFixed(2)).join('–')}) |`,
  `| RTU over pty, driver keeping t3.5 = ${t35Ms(line).toFixed(2)} ms (default) | ${f(summary.rtu.ptyDriverPollsPerSec)} |`,
  '', '| client CPU per read (µs, median) | bare | driver |', '|---|---|---|',
  `| TCP | ${f(summary.clientCpuUsPerRead.tcpBare)} | ${f(summary.clientCpuUsPerRead.tcpDriver)} |`,
  `| RTU over pty (driver with frameGap 0) | ${f(summary.clientCpuUsPerRead.rtuPtyBare)} | ${f(summary.clientCpuUsPerRead.rtuPtyDriverNoGap)} |`,
  '', '| RTU wire bound (computed; a pty has no baud timing) | reads/s |', '|---|---|',
  `| ${BAUD} baud ${summary.rtu.framing}, ${REGISTERS} registers: ${f(cycleMs)} ms per read | **${f(summary.rtu.wireBoundReadsPerSec)}** |`,
];
mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench-results/modbus.json'), JSON.stringify(summary, null, 2));
writeFileSync(path.join(ROOT, 'bench-results/modbus.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
