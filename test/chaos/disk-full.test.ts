import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../gateway/store/store.js';
import { GatewayProcess, eventually } from '../support/gateway-process.js';
import { ModbusPeer } from '../peers/modbus-peer.js';
import { FAST_WINDOWS, PublisherFleet, chaosSensors, log, missingAcked, pause, windowProblems, withSnapshot } from './harness.js';

// Issue 8 disk full (docs/pipeline.md "Disk full"): SQLite hits SQLITE_FULL or the room falls below
// store.reserve → old raw readings outside the rebuild horizon are reclaimed first; then QoS 0 is shed,
// QoS 1 refused so publishers retry, alerts keep committing into the reserve; nothing corrupts; and ingest
// comes back by itself once there is room again.
const root = mkdtempSync(path.join(tmpdir(), 'ucid-chaos-full-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) {
    try {
      execFileSync('umount', ['-l', m]);
    } catch {
      /* already gone */
    }
  }
  rmSync(root, { recursive: true, force: true });
});

/** A small tmpfs of our own (needs CAP_SYS_ADMIN, root in the test container): a real ENOSPC, not a simulation. */
function smallFilesystem(name: string, size: string): string | null {
  const dir = path.join(root, name);
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    return dir;
  } catch {
    return null;
  }
}
const canMount = process.getuid?.() === 0 && smallFilesystem('probe', '1m') !== null;

/** Fills the filesystem of `dir` to the last block with a ballast file; returns its path. */
function fill(dir: string): string {
  const file = path.join(dir, 'ballast');
  const fd = openSync(file, 'a');
  try {
    for (let size = 1 << 20; size >= 512; size >>= 1) {
      const chunk = Buffer.alloc(size, 7);
      try {
        for (;;) writeSync(fd, chunk);
      } catch { /* next, smaller size */ }
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

/** Readings received three hours ago (outside the rebuild horizon, inside rawRetention): what a reclaim may delete. */
function oldReadings(dbPath: string, n: number): void {
  const store = new Store(dbPath);
  store.db.pragma('synchronous = OFF');
  const at = Date.now() - 3 * 3_600_000;
  store.transaction(() => {
    for (let i = 0; i < n; i++) {
      store.insertReading({ sensorId: 'old-1', metric: 'pm25', value: 10, unit: 'ugm3', ts: at + i, tsFromArrival: false, quality: 'good', source: 'mqtt', receivedAt: at + i }, 'on_time');
    }
  });
  store.close();
}

function integrity(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

const count = (dbPath: string, sql: string, ...params: unknown[]) => withSnapshot(dbPath, (db) => (db.prepare(sql).get(...params) as { n: number }).n);

describe('chaos: disk full', () => {
  it('store.maxSize reached: old raw readings reclaimed first, then QoS 0 shed and QoS 1 refused; nothing acknowledged lost, no corruption', async () => {
    const dir = path.join(root, 'capped');
    mkdirSync(dir);
    const dbPath = path.join(dir, 'gateway.db');
    oldReadings(dbPath, 12_000);
    const sensors = chaosSensors('cap', 6, '200ms');
    const gateway = await GatewayProcess.start({
      gateway: { id: 'gw-chaos-cap', dataDir: dir },
      sensors,
      windows: FAST_WINDOWS,
      store: { maxSize: statSync(dbPath).size + 1_536 * 1024, reserve: '512KiB' },
    }, { dir });
    const qos1 = new PublisherFleet({ sensors: sensors.slice(0, 4).map((s) => s.id), retry: true, inflight: 10 });
    const qos0 = new PublisherFleet({ sensors: sensors.slice(4).map((s) => s.id), qos: 0, rate: 200, clients: 1 });
    await qos1.attach(gateway.mqttPort);
    await qos0.attach(gateway.mqttPort);
    await gateway.waitForLog((l) => l.msg.startsWith('store full'), 90_000);
    const ackedAtFull = qos1.stats.acked;
    await pause(3_000);
    const ackedWhileFull = qos1.stats.acked - ackedAtFull;
    const shed = await gateway.metric('ucid_streaming_messages_total', { status: 'shed' });
    const refused = await gateway.metric('ucid_streaming_messages_total', { status: 'refused' });
    const reclaimed = await gateway.metric('ucid_store_reclaimed_readings_total');
    await qos0.detach();
    await qos1.detach();
    const missing = withSnapshot(gateway.dbPath, (db) => missingAcked(db, qos1));
    const windows = withSnapshot(gateway.dbPath, (db) => windowProblems(db));
    const oldLeft = count(gateway.dbPath, "SELECT count(*) AS n FROM readings WHERE sensor_id = 'old-1'");
    expect(await gateway.stop()).toBe(0);
    const check = integrity(gateway.dbPath);
    log('maxSize', { acked: qos1.ackedCount, ackedWhileFull, shed, refused, reclaimed, oldLeft, missing: missing.length, windows: windows.checked, integrity: check });

    expect(reclaimed).toBeGreaterThan(0);
    expect(oldLeft).toBeLessThan(12_000);
    expect(shed).toBeGreaterThan(0);
    expect(ackedWhileFull).toBeLessThan(100);
    expect(missing).toEqual([]);
    expect(windows.problems).toEqual([]);
    expect(check).toBe('ok');
  }, 180_000);

  it.skipIf(!canMount)('a real full filesystem (tmpfs): reclaim, then QoS 0 shed, QoS 1 refused and retried, a driver-down alert still committed, no corruption, back by itself when space returns', async () => {
    const dir = smallFilesystem('data', '32m')!;
    oldReadings(path.join(dir, 'gateway.db'), 8_000);
    const peer = new ModbusPeer({ units: [1], values: [{ unit: 1, table: 'holding', address: 0, type: 'float32', order: 'CDAB', value: 21.5 }], valuesFile: path.join(root, 'values.json') });
    await peer.start();
    const sensors = chaosSensors('fs', 6, '200ms');
    const gateway = await GatewayProcess.start({
      gateway: { id: 'gw-chaos-fs', dataDir: dir },
      sensors,
      windows: FAST_WINDOWS,
      store: { reserve: '1MiB' },
      drivers: [{
        type: 'modbus', name: 'plc', connection: { transport: 'tcp', host: '127.0.0.1', port: peer.port }, reconnectMax: '500ms',
        devices: [{ unitId: 1, sensorId: 'plc-1', interval: '200ms', registers: [{ metric: 'temperature', unit: '°C', address: 0, type: 'float32', wordOrder: 'CDAB' }] }],
      }],
    }, { dir });
    const qos1 = new PublisherFleet({ sensors: sensors.slice(0, 4).map((s) => s.id), retry: true, inflight: 10 });
    const qos0 = new PublisherFleet({ sensors: sensors.slice(4).map((s) => s.id), qos: 0, rate: 200, clients: 1 });
    let pin: Database.Database | null = null;
    try {
      await qos1.attach(gateway.mqttPort);
      await qos0.attach(gateway.mqttPort);
      await pause(2_000);
      // A reader's open snapshot (as a backup or a CLI query would hold) keeps the gateway from cutting its WAL
      // back (space.ts truncateWal), so the disk stays full until the test frees it.
      pin = new Database(gateway.dbPath, { readonly: true });
      pin.prepare('BEGIN').run();
      pin.prepare('SELECT count(*) FROM readings').get();
      const ballast = fill(dir);
      log('filesystem full', { free: Number(statfsSync(dir).bavail) * Number(statfsSync(dir).bsize) });
      await gateway.waitForLog((l) => l.msg.startsWith('store full'), 90_000);
      const fullAt = Date.now();
      const ackedAtFull = qos1.stats.acked;
      // the PLC goes offline while the disk is full: its DataSourceDown alert must still commit (and reach the outbox)
      await peer.stop();
      const alert = await eventually(() => count(gateway.dbPath, `SELECT count(*) AS n FROM alert_events e JOIN outbox o ON o.event_id = e.event_id
        WHERE e.kind = 'DataSourceDown' AND e.key = 'down|driver:plc' AND e.state = 'raised' AND e.at >= ?`, fullAt), 30_000);
      await pause(2_000);
      const ackedWhileFull = qos1.stats.acked - ackedAtFull;
      const shed = await gateway.metric('ucid_streaming_messages_total', { status: 'shed' });
      const full = await gateway.metric('ucid_store_full');
      log('while full', { ackedWhileFull, shed, full, alert, reclaimed: await gateway.metric('ucid_store_reclaimed_readings_total'), reconnects: qos1.stats.reconnects });

      pin.prepare('COMMIT').run();
      pin.close();
      rmSync(ballast);
      await gateway.waitForLog((l) => l.msg.startsWith('store has room again') && l.time as number >= fullAt, 30_000);
      const ackedAtReturn = qos1.stats.acked;
      await eventually(() => qos1.stats.acked > ackedAtReturn + 300, 30_000);
      await qos0.detach();
      await qos1.detach();
      const missing = withSnapshot(gateway.dbPath, (db) => missingAcked(db, qos1));
      const windows = withSnapshot(gateway.dbPath, (db) => windowProblems(db));
      expect(await gateway.stop()).toBe(0);
      const check = integrity(gateway.dbPath);
      log('after', { acked: qos1.ackedCount, missing: missing.length, windows: windows.checked, integrity: check });

      expect(full).toBe(1);
      expect(ackedWhileFull).toBeLessThan(100);
      expect(shed).toBeGreaterThan(0);
      expect(missing).toEqual([]);
      expect(windows.problems).toEqual([]);
      expect(check).toBe('ok');
    } catch (err) {
      const seen = new Map<string, number>();
      for (const l of gateway.logs) {
        if (l.level < 40) continue;
        const key = `${l.msg} ${String((l.err as { message?: string })?.message ?? l.code ?? '').slice(0, 120)}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      log('gateway warnings', Object.fromEntries(seen));
      // where the room went: the filesystem, the files on it, what the gateway measured, its last other log lines
      const fs = statfsSync(dir);
      log('at failure', {
        freeBytes: Number(fs.bavail) * Number(fs.bsize), files: Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).size])),
        roomMetric: await gateway.metric('ucid_store_room_bytes').catch(() => null),
        lastLines: gateway.logs.filter((l) => !String(l.msg).startsWith('publish refused')).slice(-15).map((l) => `${l.msg} ${String((l.err as { message?: string })?.message ?? '')}`.slice(0, 200)),
      });
      throw err;
    } finally {
      if (pin?.open) pin.close();
      await qos0.detach();
      await qos1.detach();
      await gateway.kill().catch(() => undefined);
      await peer.stop();
    }
  }, 240_000);
});
