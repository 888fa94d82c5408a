// `node scripts/bench/readings-index.mjs [readings a commit] [keys] [commits]` (after `npm run build`): the CPU of
// durable commits of readings, SQLite alone, with the readings' (sensor, metric, ts) lookup as a SQL index on
// `readings` (the schema before migration 7) and as the store's reading_index table written a key at a time
// (gateway/store/reading-index.ts, the real Store), interleaved, 3 rounds. Defaults: 50 readings over 100 keys,
// 3,000 commits, after 100,000 readings so the index has depth; a PASSIVE checkpoint every 40 commits as the
// gateway's checkpointer does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../dist/gateway/store/store.js';
import { MIGRATIONS } from '../../dist/gateway/store/migrations.js';
import { median } from './stats.mjs';

const batch = Number(process.argv[2] ?? 50);
const keys = Number(process.argv[3] ?? 100);
const commits = Number(process.argv[4] ?? 3_000);
const WARM = 100_000;
const reading = (n, ts) => ({ sensorId: `s${n % keys}`, metric: 'pm25', value: n % 97, unit: 'ugm3', ts, tsFromArrival: false, quality: 'good', source: 'bench', receivedAt: ts });

/** The schema of migrations 1–6 (the SQL index), written as the store writes a reading. */
function sqlIndexArm(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -2000');
  for (const sql of MIGRATIONS.slice(0, 6)) db.exec(sql);
  const insert = db.prepare(`INSERT INTO readings (sensor_id, metric, value, unit, ts, ts_from_arrival, quality, source, received_at, lateness)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return {
    transaction: (work) => db.transaction(work).immediate(),
    insert: (r) => insert.run(r.sensorId, r.metric, r.value, r.unit, r.ts, 0, r.quality, r.source, r.receivedAt, 'on_time'),
    checkpoint: () => db.pragma('wal_checkpoint(PASSIVE)'),
    close: () => db.close(),
  };
}

function tableArm(file) {
  const store = new Store(file);
  return {
    transaction: (work) => store.transaction(work),
    insert: (r) => store.insertReading(r, 'on_time'),
    checkpoint: () => store.db.pragma('wal_checkpoint(PASSIVE)'),
    close: () => store.close(),
  };
}

function run(open) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-index-bench-'));
  const arm = open(path.join(dir, 'gateway.db'));
  const t0 = Date.now();
  let n = 0;
  arm.transaction(() => { for (; n < WARM; n++) arm.insert(reading(n, t0 + n)); });
  arm.checkpoint();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let c = 0; c < commits; c++) {
    arm.transaction(() => { for (let i = 0; i < batch; i++, n++) arm.insert(reading(n, t0 + n)); });
    if (c % 40 === 39) arm.checkpoint();
  }
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  arm.close();
  rmSync(dir, { recursive: true, force: true });
  return { cpuUsPerReading: (cpu.user + cpu.system) / (commits * batch), wallMsPerCommit: wallMs / commits };
}

const arms = { 'SQL index on readings': sqlIndexArm, 'reading_index, a key at a time': tableArm };
const results = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
for (let round = 0; round < 3; round++) for (const [name, open] of Object.entries(arms)) results[name].push(run(open));
console.log(`${batch} readings a commit over ${keys} keys, ${commits} commits (synchronous=FULL), 3 interleaved rounds:`);
for (const [name, rs] of Object.entries(results)) {
  console.log(`  ${name}: CPU ${median(rs.map((r) => r.cpuUsPerReading)).toFixed(1)} µs a reading (${rs.map((r) => r.cpuUsPerReading.toFixed(1)).join(', ')}), ` +
    `${median(rs.map((r) => r.wallMsPerCommit)).toFixed(2)} ms a commit`);
}
