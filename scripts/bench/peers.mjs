// Starts each peer as its own process on a free loopback port and stops it again.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { removeAtExit, settleDiskOnce } from './disk-settle.mjs';
import { UNIT_MALLOC_ENV, UNIT_NODE_ARGS } from '../systemd-unit.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitForLine(child, match, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`peer did not start: ${buf.slice(-2000)}`)), timeoutMs);
    const onData = (chunk) => {
      buf += chunk;
      for (const line of buf.split('\n')) {
        const found = match(line);
        if (found) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.resume();
          return resolve(found);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c) => { buf += c; });
    child.once('exit', (code) => reject(new Error(`peer exited ${code}: ${buf.slice(-2000)}`)));
  });
}

/** A Prometheus histogram's cumulative bucket counts (le → count, every label set summed) between two /metrics texts. */
export function histogramBetween(before, after, name) {
  const buckets = (text) => {
    const m = new Map();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}_bucket`)) continue;
      const le = /le="([^"]+)"/.exec(line)[1];
      m.set(le, (m.get(le) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return m;
  };
  const was = buckets(before);
  return new Map([...buckets(after)].map(([le, n]) => [le, n - (was.get(le) ?? 0)]));
}

/** A plain broker's count of QoS 0 deliveries: a subscriber on sensors/#. */
async function subscriberCount(port, stopBroker) {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `count-${process.pid}-${port}` });
  let n = 0;
  sub.on('message', () => n++);
  await sub.subscribeAsync('sensors/#', { qos: 0 });
  return { delivered: async () => n, stop: async () => { await sub.endAsync(true); await stopBroker(); } };
}

function stopper(child) {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The gateway's MQTT listener in every bench (a bench that replaces `mqtt` spreads this first). */
export const BENCH_MQTT = Object.freeze({ host: '127.0.0.1', port: 0, allowAnonymous: true });

/**
 * The full gateway (built), ingesting into SQLite with synchronous=FULL; `config` is merged over a bench config,
 * and BENCH_GATEWAY_CONFIG (JSON, e.g. '{"store":{"minCommitInterval":"5ms"}}') over both, top-level keys whole.
 */
export async function startGateway(config = {}) {
  settleDiskOnce();
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-bench-'));
  removeAtExit(dir);
  const file = path.join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify({
    gateway: { id: 'gw-bench', dataDir: dir, logLevel: 'info' },
    mqtt: BENCH_MQTT,
    http: { host: '127.0.0.1', port: 0 },
    ...config,
    ...JSON.parse(process.env.BENCH_GATEWAY_CONFIG ?? '{}'),
  }));
  // the unit's node flags, then BENCH_GATEWAY_NODE_ARGS: extra node flags for the gateway only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = [...UNIT_NODE_ARGS, ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/gateway/cli.js'), 'start', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...UNIT_MALLOC_ENV, ...process.env } });
  // BENCH_GATEWAY_LOG: a file the gateway's log lines are appended to (what a run decided, e.g. where checkpoints ran)
  if (process.env.BENCH_GATEWAY_LOG) child.stdout.pipe(createWriteStream(process.env.BENCH_GATEWAY_LOG, { flags: 'a' }));
  const ready = await waitForLine(child, (line) => {
    try {
      const l = JSON.parse(line);
      return l.msg === 'gateway ready' ? l : null;
    } catch {
      return null;
    }
  });
  const port = ready.mqttPort;
  let db = null;
  const delivered = async () => {
    db ??= new Database(path.join(dir, 'gateway.db'), { readonly: true });
    return db.prepare('SELECT count(*) AS n FROM readings').get().n;
  };
  const stop = stopper(child);
  /** The gateway's own view from /metrics: Prometheus text. */
  const metrics = async () => (ready.httpPort ? (await fetch(`http://127.0.0.1:${ready.httpPort}/metrics`)).text() : '');
  // each run's database (tens of MB to GBs) goes when the script exits (a session of runs had filled /tmp with 36
  // GB), not at stop: deleting it then stalled the next run's fsyncs (disk-settle.mjs)
  return { name: 'gateway', port, httpPort: ready.httpPort, pid: child.pid, dir, delivered, metrics, stop: async () => { db?.close(); await stop(); } };
}

/** `gatewayMemory`: with the gateway's memory settings (V8 flags, mqtt-packet's number cache off, the unit's node flags and malloc settings). */
export async function startBareAedes({ gatewayMemory = false } = {}) {
  const args = [...(gatewayMemory ? UNIT_NODE_ARGS : []), path.join(ROOT, 'scripts/bench/bare-aedes.mjs'), ...(gatewayMemory ? ['--gateway-memory'] : [])];
  const env = gatewayMemory ? { ...UNIT_MALLOC_ENV, ...process.env } : process.env;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const port = await waitForLine(child, (line) => (line.startsWith('{') ? JSON.parse(line).port : null));
  return { name: 'bare aedes', port, pid: child.pid, ...(await subscriberCount(port, stopper(child))) };
}

export async function startMosquitto() {
  const bin = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
  if (!bin) return null;
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-mosq-'));
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\n`);
  const child = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const net = await import('node:net');
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: 'mosquitto', port, pid: child.pid, ...(await subscriberCount(port, stopper(child))) };
}
