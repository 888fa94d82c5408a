import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, GatewayProcess } from './support/gateway-process.js';
import { ModbusPeer } from './peers/modbus-peer.js';
import { PtyPair } from './peers/pty-pair.js';
import { sds011Frame } from './peers/sds011.js';

describe('the built gateway with modbus and serial instances, one broken of each kind', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-gw-fieldbus-'));
  const pty = new PtyPair(path.join(dir, 'sds-driver'), path.join(dir, 'sds-sensor'));
  const peer = new ModbusPeer({ units: [1], values: [{ unit: 1, table: 'holding', address: 0, type: 'float32', order: 'CDAB', value: 21.5 }], valuesFile: path.join(dir, 'values.json') });
  let gateway: GatewayProcess;

  beforeAll(async () => {
    await pty.start();
    await peer.start();
    const register = [{ metric: 'temperature', unit: '°C', address: 0, type: 'float32', wordOrder: 'CDAB' }];
    gateway = await GatewayProcess.start({
      drivers: [
        { type: 'modbus', name: 'plc', connection: { transport: 'tcp', host: '127.0.0.1', port: peer.port }, devices: [{ unitId: 1, sensorId: 'plc-1', interval: '200ms', registers: register }] },
        { type: 'modbus', name: 'rs485-broken', connection: { transport: 'rtu', path: path.join(dir, 'no-such-tty') }, reconnectMax: '500ms', devices: [{ unitId: 1, sensorId: 'rtu-1', registers: register }] },
        { type: 'serial', name: 'sds', path: pty.a, sensorId: 'sds-1', format: { kind: 'sds011' } },
        { type: 'serial', name: 'sds-broken', path: path.join(dir, 'no-such-usb'), sensorId: 'sds-2', format: { kind: 'sds011' }, reopenMax: '500ms' },
      ],
    });
  });
  afterAll(async () => {
    expect(await gateway?.stop()).toBe(0);
    await peer.stop();
    await pty.stop();
  });

  it('stores what the working instances read, through the pipeline, while the broken ones are down', async () => {
    await gateway.waitForLog((l) => l.msg === 'driver state' && l.driver === 'sds' && l.to === 'up', 30_000);
    const fd = openSync(pty.b, 'w');
    writeSync(fd, Buffer.concat([Buffer.from('boot'), sds011Frame(12.5, 30)]));
    closeSync(fd);
    const rows = await eventually(() => {
      const r = gateway.query<{ sensor_id: string; metric: string; value: number; unit: string; ts_from_arrival: number }>(
        "SELECT sensor_id, metric, value, unit, ts_from_arrival FROM readings WHERE source IN ('plc', 'sds') ORDER BY sensor_id, metric");
      return new Set(r.map((x) => x.metric)).size === 3 ? r : null;
    }, 30_000);
    expect(rows).toEqual(expect.arrayContaining([
      { sensor_id: 'plc-1', metric: 'temperature', value: 21.5, unit: 'C', ts_from_arrival: 1 },
      { sensor_id: 'sds-1', metric: 'pm10', value: 30, unit: 'ugm3', ts_from_arrival: 1 },
      { sensor_id: 'sds-1', metric: 'pm25', value: 12.5, unit: 'ugm3', ts_from_arrival: 1 },
    ]));
    for (const name of ['rs485-broken', 'sds-broken']) {
      await gateway.waitForLog((l) => l.msg === 'driver state' && l.driver === name && l.to === 'down', 30_000);
    }
    expect(gateway.logs.filter((l) => l.level >= 50)).toEqual([]);
  });
});
