// Start-up time to ready with a large database (issue 7: target ≤ 2 s with 1 GB).
//   npm run build && node scripts/bench/startup.mjs        (BENCH_DB_GIB=1, BENCH_ROUNDS=5)
// Builds (once, cached under $TMPDIR, topped up to the minute on later runs) a SQLite file of BENCH_DB_GIB through
// the store's own schema: readings from 250 sensors × 4 metrics every minute over the last ~7 days, bulk-inserted in
// one process. Then times `ucid-gateway start` from spawn to READY=1 on a unix datagram socket (what systemd waits
// for) and to the 'gateway ready' log line, each round: an empty database, the big one as after a crash (the window
// snapshot dropped: the start replays) and as after a clean stop (the snapshot the previous run saved). Medians with min/max.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { stats } from './stats.mjs';
import { UNIT_MALLOC_ENV, UNIT_NODE_ARGS } from '../systemd-unit.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/gateway/cli.js');
// as the unit starts it (its node flags and malloc settings), then BENCH_GATEWAY_NODE_ARGS
const NODE_ARGS = [...UNIT_NODE_ARGS, ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean)];
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

/** Readings of every series, one a minute, for minutes (fromTs, toTs], in time order (ids grow with received_at as in the field). */
function appendReadings(store, fromTs, toTs) {
  const series = SENSORS.length * METRICS.length;
  const step = 60_000;
  let rows = 0;
  let ts = fromTs + step;
  while (ts <= toTs) {
    store.transaction(() => {
      for (let minute = 0; minute < 200 && ts <= toTs; minute++, ts += step) {
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
  return rows;
}

/**
 * The cached file is reused, topped up to a minute ago: start-up replays the readings of the last ~2 h
 * (DESIGN §4), so a file whose readings stopped long ago would replay fewer than a real restart.
 */
async function buildDatabase(dir) {
  const file = path.join(dir, 'gateway.db');
  const { Store } = await import(path.join(ROOT, 'dist/gateway/store/store.js'));
  const end = Date.now() - 60_000;
  if (existsSync(file) && statSync(file).size >= TARGET_BYTES) {
    const store = new Store(file);
    const last = store.db.prepare('SELECT max(ts) AS ts FROM readings').get().ts;
    if (last !== null && end - last < DAYS * 86_400_000 / 7) {
      const rows = appendReadings(store, last, end);
      store.close();
      if (rows) console.log(`topped up ${file} with ${rows.toLocaleString()} readings`);
      return file;
    }
    store.close();
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = new Store(file);
  store.db.pragma('synchronous = OFF');
  const started = Date.now();
  for (const s of SENSORS) for (const m of METRICS) store.insertReadingKey(s.id, m);
  const minutes = Math.ceil(TARGET_BYTES / BYTES_PER_READING / (SENSORS.length * METRICS.length));
  const rows = appendReadings(store, end - (minutes + 1) * 60_000, end);
  store.close();
  const seconds = (Date.now() - started) / 1000;
  console.log(`built ${file}: ${(statSync(file).size / 1024 ** 3).toFixed(2)} GiB, ${rows.toLocaleString()} readings in ${seconds.toFixed(1)} s`);
  return file;
}

/** As after a crash: the window engine saved by the last clean stop is dropped, so the start replays. */
async function dropWindowSnapshot(file) {
  const { Store } = await import(path.join(ROOT, 'dist/gateway/store/store.js'));
  const store = new Store(file);
  store.takeWindowSnapshot();
  store.close();
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
      const child = spawn(process.execPath, [...NODE_ARGS, CLI, 'start', '--config', config], { env: { ...UNIT_MALLOC_ENV, ...process.env, NOTIFY_SOCKET: sock }, stdio: ['ignore', 'pipe', 'inherit'] });
      const result = { readyLogMs: null, notifyMs: null, rebuilt: null, from: null };
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
          if (line.msg === 'windows rebuilt from stored readings') Object.assign(result, { rebuilt: line.readings, from: line.from });
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

const fmt = ({ median, min, max }) => `${(median / 1000).toFixed(2)} s (min ${(min / 1000).toFixed(2)}, max ${(max / 1000).toFixed(2)})`;

const bigDir = path.join(CACHE, 'big');
const bigFile = await buildDatabase(bigDir);
const emptyDir = mkdtempSync(path.join(os.tmpdir(), 'ucid-startup-empty-'));
const runs = { crash: [], clean: [], empty: [] };
for (let round = 0; round < ROUNDS; round++) {
  runs.empty.push(await startOnce(emptyDir));
  await dropWindowSnapshot(bigFile);
  runs.crash.push(await startOnce(bigDir));
  runs.clean.push(await startOnce(bigDir));
}
const wrongPath = [...runs.crash.filter((r) => r.from !== 'replay'), ...runs.clean.filter((r) => r.from !== 'snapshot')];
if (wrongPath.length) throw new Error(`a start did not take the path it measures: ${JSON.stringify(wrongPath)}`);
const dbBytes = statSync(bigFile).size;
const summary = (rs) => ({ notify: stats(rs.map((r) => r.notifyMs)), readyLog: stats(rs.map((r) => r.readyLogMs)) });
const result = {
  node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, rounds: ROUNDS, dbBytes, loadavg: os.loadavg(),
  rebuiltReadings: runs.crash[0].rebuilt,
  big: summary(runs.crash), bigClean: summary(runs.clean), empty: summary(runs.empty),
};
mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench-results/startup.json'), `${JSON.stringify(result, null, 2)}\n`);
const gib = (dbBytes / 1024 ** 3).toFixed(2);
console.log(`start → READY=1, ${gib} GiB database, after a crash (${result.rebuiltReadings} readings replayed): ${fmt(result.big.notify)}`);
console.log(`start → READY=1, ${gib} GiB database, after a clean stop (window snapshot):      ${fmt(result.bigClean.notify)}`);
console.log(`start → READY=1, empty database:                                                ${fmt(result.empty.notify)}`);
const verdict = (s) => (s.notify.median <= 2000 ? 'met' : 'NOT met');
console.log(`target ≤ 2 s: ${verdict(result.big)} after a crash, ${verdict(result.bigClean)} after a clean stop (${os.cpus().length} × ${result.cpu}, Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
