// Start-up time to ready with a large database (issue 7: target ≤ 2 s with 1 GB).
//   npm run build && node scripts/bench/startup.mjs        (BENCH_DB_GIB=1, BENCH_ROUNDS=5)
// Builds (once, cached under $TMPDIR) a SQLite file of BENCH_DB_GIB through the store's own schema:
// readings from 250 sensors × 4 metrics every minute over the last ~7 days, bulk-inserted in one process. Then times
// `ucid-gateway start` from spawn to READY=1 on a unix datagram socket (what systemd waits for) and to
// the 'gateway ready' log line, against an empty database run in the same rounds. Medians with min/max.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/gateway/cli.js');
const TARGET_BYTES = Number(process.env.BENCH_DB_GIB ?? 1) * 1024 ** 3;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CACHE = path.join(os.tmpdir(), 'ucid-startup-bench');
const METRICS = ['pm25', 'no2', 'temperature', 'humidity'];
const SENSORS = Array.from({ length: 250 }, (_, i) => ({
  id: `bench-air-${i}`, lat: 41.0 + (i % 25) * 0.002, lon: 28.95 + Math.floor(i / 25) * 0.002, contexts: ['CLIMATE'], expectedInterval: '1m',
}));
const DAYS = 7;
/** Observed size per stored reading with its index (a little under, so the file ends at ≥ 1 GiB). */
const BYTES_PER_READING = 100;

async function buildDatabase(dir) {
  const file = path.join(dir, 'gateway.db');
  // reused while fresh: an older file would replay fewer recent readings than a real restart
  if (existsSync(file) && statSync(file).size >= TARGET_BYTES && Date.now() - statSync(file).mtimeMs < 3_600_000) return file;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { Store } = await import(path.join(ROOT, 'dist/gateway/store/store.js'));
  const store = new Store(file);
  store.db.pragma('synchronous = OFF');
  const started = Date.now();
  // In time order, ending a minute ago, one reading per series per minute: ids grow with received_at as
  // in the field, so start-up replays only the recent windows (DESIGN §4) like a real restart would.
  const series = SENSORS.length * METRICS.length;
  const step = 60_000;
  const end = Date.now() - step;
  const minutes = Math.ceil(TARGET_BYTES / BYTES_PER_READING / series);
  let ts = end - minutes * step;
  let rows = 0;
  for (const s of SENSORS) for (const m of METRICS) store.insertReadingKey(s.id, m);
  while (ts <= end) {
    store.transaction(() => {
      for (let minute = 0; minute < 200 && ts <= end; minute++, ts += step) {
        for (let i = 0; i < series; i++) {
          const s = SENSORS[i % SENSORS.length];
          const metric = METRICS[Math.floor(i / SENSORS.length)];
          store.insertReading({
            sensorId: s.id, metric, value: 10 + ((i + minute) % 37), unit: metric === 'temperature' ? 'C' : metric === 'humidity' ? 'pct' : 'ugm3',
            ts, tsFromArrival: false, quality: 'good', source: 'bench', receivedAt: ts + 40,
          }, 'on_time');
        }
        rows += series;
      }
    });
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  }
  store.close();
  const seconds = (Date.now() - started) / 1000;
  console.log(`built ${file}: ${(statSync(file).size / 1024 ** 3).toFixed(2)} GiB, ${rows.toLocaleString()} readings in ${seconds.toFixed(1)} s`);
  return file;
}

const LISTENER = `import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); print('up', flush=True)
while True: print(s.recv(4096).decode().replace('\\n', ' '), flush=True)
`;

function startOnce(dataDir) {
  return new Promise((resolve, reject) => {
    const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'ucid-notify-')), 'notify.sock');
    const listener = spawn('python3', ['-c', LISTENER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    listener.stdout.once('data', () => {
      const config = path.join(dataDir, 'bench.yaml');
      writeFileSync(config, stringify({
        gateway: { id: 'gw-bench', dataDir }, sensors: SENSORS,
        mqtt: { port: 0, host: '127.0.0.1', allowAnonymous: true }, http: { port: 0, host: '127.0.0.1' },
        store: { rawRetention: `${DAYS + 1}d`, rawBudget: '8GiB' },
      }));
      const t0 = process.hrtime.bigint();
      const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
      const child = spawn(process.execPath, [CLI, 'start', '--config', config], { env: { ...process.env, NOTIFY_SOCKET: sock }, stdio: ['ignore', 'pipe', 'inherit'] });
      const result = { readyLogMs: null, notifyMs: null, rebuilt: null };
      const finish = () => {
        if (result.readyLogMs === null || result.notifyMs === null) return;
        child.kill('SIGTERM');
        child.once('exit', () => {
          listener.kill();
          resolve(result);
        });
      };
      listener.stdout.on('data', (chunk) => {
        if (result.notifyMs === null && chunk.toString().includes('READY=1')) result.notifyMs = ms();
        finish();
      });
      let buffered = '';
      child.stdout.on('data', (chunk) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = JSON.parse(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          if (line.msg === 'windows rebuilt from stored readings') result.rebuilt = line.readings;
          if (line.msg === 'gateway ready') result.readyLogMs = ms();
        }
        finish();
      });
      child.once('exit', (code) => {
        if (result.readyLogMs === null) reject(new Error(`gateway exited (${code}) before ready`));
      });
    });
  });
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};
const fmt = ({ median, min, max }) => `${(median / 1000).toFixed(2)} s (min ${(min / 1000).toFixed(2)}, max ${(max / 1000).toFixed(2)})`;

const bigDir = path.join(CACHE, 'big');
await buildDatabase(bigDir);
const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'ucid-startup-empty-'));
const runs = { big: [], empty: [] };
for (let round = 0; round < ROUNDS; round++) {
  runs.empty.push(await startOnce(emptyDir));
  runs.big.push(await startOnce(bigDir));
}
const dbBytes = statSync(path.join(bigDir, 'gateway.db')).size;
const result = {
  node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, rounds: ROUNDS, dbBytes,
  rebuiltReadings: runs.big[0].rebuilt,
  big: { notify: stats(runs.big.map((r) => r.notifyMs)), readyLog: stats(runs.big.map((r) => r.readyLogMs)) },
  empty: { notify: stats(runs.empty.map((r) => r.notifyMs)), readyLog: stats(runs.empty.map((r) => r.readyLogMs)) },
};
mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench-results/startup.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`start → READY=1, ${(dbBytes / 1024 ** 3).toFixed(2)} GiB database (${result.rebuiltReadings} readings replayed): ${fmt(result.big.notify)}`);
console.log(`start → READY=1, empty database:                ${fmt(result.empty.notify)}`);
console.log(`start → 'gateway ready' log, 1 GiB / empty:     ${fmt(result.big.readyLog)} / ${fmt(result.empty.readyLog)}`);
console.log(`target ≤ 2 s: ${result.big.notify.median <= 2000 ? 'met' : 'NOT met'} (${os.cpus().length} × ${result.cpu}, Node ${process.version})`);
