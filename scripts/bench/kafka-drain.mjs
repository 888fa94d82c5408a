// Drain rate of a large outbox backlog into a local Kafka 4.x broker (scripts/kafka.sh), side by side with
// Kafka's own org.apache.kafka.tools.ProducerPerformance (same jars, same broker, same record size, acks=all,
// same compression, 12 partitions). Needs `npm run build`. Prints msgs/s and the ratio; writes
// bench-results/kafka-drain.{json,md}.
//
//   node scripts/bench/kafka-drain.mjs [--events N] [--bootstrap HOST:PORT] [--compression gzip,none]
//
// Default N: the 24 h backlog of a 1,000-sensor site, upper bound: every sensor in its own H3 cell feeding
// both contexts (CLIMATE, TRANSIT) → 1,000 cells × 2 contexts × 288 five-minute windows = 576,000 events.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { gridDisk, latLngToCell } from 'h3-js';
import { pino } from 'pino';
import { Registry } from '../../dist/gateway/prometheus/registry.js';
import { eventId } from '../../dist/gateway/events/event-id.js';
import { SCORE_SCHEMA, TOPICS, scoreKey } from '../../dist/gateway/events/topics.js';
import { Store } from '../../dist/gateway/store/store.js';
import { createKafka } from '../../dist/sync/kafka-client.js';
import { createSyncMetrics } from '../../dist/sync/metrics.js';
import { backlogStats } from '../../dist/sync/outbox.js';
import { syncSchema } from '../../dist/sync/schema.js';
import { SyncWorker } from '../../dist/sync/worker.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const KAFKA_SH = path.join(ROOT, 'scripts/kafka.sh');
const { values } = parseArgs({ options: { events: { type: 'string' }, bootstrap: { type: 'string' }, compression: { type: 'string' } } });
const SENSORS = 1_000;
const CONTEXTS = ['CLIMATE', 'TRANSIT'];
const WINDOWS = 288;
const EVENTS = Number(values.events ?? SENSORS * CONTEXTS.length * WINDOWS);
const COMPRESSIONS = (values.compression ?? 'gzip,none').split(',');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ucid-bench-kafka-'));
const env = { ...process.env, UCID_KAFKA_STATE: path.join(tmp, 'kafka.state') };

async function startBroker() {
  if (values.bootstrap) return { bootstrap: values.bootstrap, stop: async () => {} };
  const { stdout } = await run('bash', [KAFKA_SH, 'start', '--port', '0', '--dir', path.join(tmp, 'broker')], { env });
  const bootstrap = /^bootstrap=(.*)$/m.exec(stdout)[1];
  return { bootstrap, stop: () => run('bash', [KAFKA_SH, 'stop', '--dir', path.join(tmp, 'broker')], { env }) };
}

function cells(count) {
  const out = new Set();
  for (let k = 1; out.size < count; k++) for (const c of gridDisk(latLngToCell(41.015, 28.979, 9), k)) if (out.size < count) out.add(c);
  return [...out];
}

/** The backlog as score-stage.ts writes it: window by window, every key, through the real Store. Returns mean value bytes. */
function fill(store, gatewayId, count) {
  const keys = cells(Math.ceil(count / WINDOWS / CONTEXTS.length)).flatMap((cell) => CONTEXTS.map((context) => ({ cell, context })));
  const lastEnd = Math.floor(Date.now() / 300_000) * 300_000;
  let written = 0;
  let bytes = 0;
  for (let w = WINDOWS - 1; w >= 0 && written < count; w--) {
    const end = lastEnd - w * 300_000;
    store.transaction(() => {
      for (const { cell, context } of keys) {
        if (written >= count) break;
        const key = scoreKey('IST', cell, context);
        const id = eventId(gatewayId, 'ScoreUpdate', key, end, 0);
        const score = 40 + ((written * 7) % 60);
        const payload = JSON.stringify({
          schema: SCORE_SCHEMA, kind: 'ScoreUpdate', event_id: id, gateway_id: gatewayId,
          ucid: `UCID-V1:IST:+41.015:+28.979:9:${cell}:2026W01T12:${context}:B:0.93:`, city: 'IST', h3_index: cell, h3_res: 9, context,
          score, grade: 'B', confidence: 0.93, flags: [], window: { start: new Date(end - 300_000).toISOString(), end: new Date(end).toISOString(), revision: 0 },
          timestamp: new Date(end).toISOString(),
        });
        store.insertOutbox({ eventId: id, kind: 'ScoreUpdate', topic: TOPICS.scores, key, payload, createdAt: Date.now(), windowEnd: end, compactionKey: `${key}|${end}` });
        bytes += payload.length + ',"published_at":"2026-01-01T00:00:00.000Z"'.length;
        written++;
      }
    });
  }
  return Math.round(bytes / written);
}

const GATEWAY_ID = 'bench';
let fileBytes = 0;
const TEMPLATE = path.join(tmp, 'template.db');

/** Fills the backlog once; each run drains a copy of it. */
function fillTemplate() {
  const t0 = Date.now();
  const store = new Store(TEMPLATE);
  const recordSize = fill(store, GATEWAY_ID, EVENTS);
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const accounted = backlogStats(store.db).bytes;
  store.close();
  fileBytes = statSync(TEMPLATE).size;
  console.error(`filled ${EVENTS} events (${recordSize} B values) in ${((Date.now() - t0) / 1000).toFixed(1)} s; `
    + `SQLite file ${(fileBytes / 2 ** 20).toFixed(0)} MiB (${Math.round(fileBytes / EVENTS)} B/event), budget accounting ${(accounted / 2 ** 20).toFixed(0)} MiB`);
  return recordSize;
}

async function gatewayDrain(bootstrap, compression, recordSize) {
  const gatewayId = GATEWAY_ID;
  const file = path.join(tmp, `drain-${compression}.db`);
  copyFileSync(TEMPLATE, file);
  const store = new Store(file);
  // A budget above the backlog: this measures draining, not compaction (which a 256 MiB default would start).
  const config = syncSchema.parse({ enabled: true, brokers: [bootstrap], createTopics: true, compression, budget: '4GiB', transactionalId: `ucid-gw-bench-${compression}-${Date.now()}` });
  const worker = new SyncWorker(store, createSyncMetrics([new Registry()]), pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' }), { gatewayId, config });
  const lastSeq = store.db.prepare('SELECT max(seq) AS seq FROM outbox').get().seq;
  const start = Date.now();
  worker.start();
  while (worker.status().deliveredSeq < lastSeq) await new Promise((r) => setTimeout(r, 20));
  const seconds = (Date.now() - start) / 1000;
  const { sent, compacted } = worker.status();
  // Not part of the drain: the worker deletes delivered rows once there is nothing left to send.
  const anyLeft = store.db.prepare('SELECT 1 FROM outbox LIMIT 1');
  while (anyLeft.get() !== undefined) await new Promise((r) => setTimeout(r, 100));
  const purgeSeconds = (Date.now() - start) / 1000 - seconds;
  console.error(`  drained in ${seconds.toFixed(1)} s; delivered rows purged ${purgeSeconds.toFixed(1)} s later`);
  await worker.stop();
  store.close();
  if (sent !== EVENTS) throw new Error(`sent ${sent} of ${EVENTS} events (compacted: ${JSON.stringify(compacted)})`);
  return { events: sent, seconds, msgsPerSec: sent / seconds, recordSize, purgeSeconds };
}

async function producerPerformance(bootstrap, compression, recordSize) {
  const topic = `bench.perf.${compression}.${Date.now()}`;
  const admin = createKafka({ brokers: [bootstrap], tls: false, sasl: null, connectionTimeout: 10_000, requestTimeout: 30_000 }, 'bench', pino({ level: 'silent' })).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 12 }] });
  await admin.disconnect();
  const { stdout } = await run('bash', [KAFKA_SH, 'perf', '--bootstrap', bootstrap, '--topic', topic, '--records', String(EVENTS),
    '--record-size', String(recordSize), '--prop', `compression.type=${compression}`], { env, maxBuffer: 16 << 20 });
  const last = stdout.trim().split('\n').pop();
  const rate = Number(/([\d.]+) records\/sec/.exec(last)[1]);
  return { events: EVENTS, seconds: EVENTS / rate, msgsPerSec: rate, line: last };
}

const broker = await startBroker();
const results = { events: EVENTS, host: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`, node: process.version, runs: [] };
try {
  const recordSize = fillTemplate();
  for (const compression of COMPRESSIONS) {
    const loadBefore = os.loadavg()[0];
    console.error(`gateway drain, compression ${compression}`);
    const gw = await gatewayDrain(broker.bootstrap, compression, recordSize);
    console.error(`ProducerPerformance, compression ${compression}, ${gw.recordSize} B records, acks=all`);
    const perf = await producerPerformance(broker.bootstrap, compression, gw.recordSize);
    // The machine is shared: the 1-minute load average before and after the pair goes with the figures.
    const load = [loadBefore, os.loadavg()[0]].map((l) => Number(l.toFixed(2)));
    results.runs.push({ compression, recordSize: gw.recordSize, gateway: gw, producerPerformance: perf, ratio: gw.msgsPerSec / perf.msgsPerSec, load });
  }
} finally {
  await broker.stop();
  rmSync(tmp, { recursive: true, force: true });
}

const rows = results.runs.map((r) => `| ${r.compression} | ${r.recordSize} B | ${Math.round(r.gateway.msgsPerSec)} | ${r.gateway.seconds.toFixed(1)} s | ${Math.round(r.producerPerformance.msgsPerSec)} | ${r.ratio.toFixed(2)}× | ${r.load.join(' → ')} |`);
const md = [
  `Kafka drain: ${EVENTS} events (24 h backlog of a ${SENSORS}-sensor site: ${SENSORS} cells × ${CONTEXTS.length} contexts × ${WINDOWS} windows), ${results.host}, Node ${process.version}`,
  `outbox SQLite file: ${(fileBytes / 2 ** 20).toFixed(0)} MiB (${Math.round(fileBytes / EVENTS)} B/event)`,
  '',
  '| compression | record | gateway drain msgs/s | gateway drain time | ProducerPerformance msgs/s | ratio | load avg |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(md);
mkdirSync(path.join(ROOT, 'bench-results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench-results/kafka-drain.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(path.join(ROOT, 'bench-results/kafka-drain.md'), `${md}\n`);
