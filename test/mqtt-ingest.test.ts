import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUcid } from '../gateway/ucid/codec.js';
import { GatewayProcess, eventually } from './support/gateway-process.js';

const run = promisify(execFile);
const MINUTE = 60_000;

describe('MQTT ingest through the embedded broker, into SQLite', () => {
  let gateway: GatewayProcess;
  let client: MqttClient;

  beforeAll(async () => {
    gateway = await GatewayProcess.start({
      sensors: [
        { id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' },
        { id: 'stop-1', lat: 41.015, lon: 28.979, contexts: ['TRANSIT'], expectedInterval: '30s' },
      ],
    });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'ingest-test' });
  });

  afterAll(async () => {
    await client?.endAsync();
    expect(await gateway?.stop()).toBe(0);
  });

  it('stores the three payload forms, QoS 0 and 1, once PUBACKed', async () => {
    const ts = Date.now() - 5_000;
    await client.publishAsync('sensors/pm25/air-1', '17.5', { qos: 1 });
    await client.publishAsync('sensors/no2/air-1', JSON.stringify({ value: 41, ts, unit: 'ug/m3' }), { qos: 1 });
    await client.publishAsync('sensors/all/air-1', JSON.stringify({ ts, values: { temperature: { value: 50, unit: 'F' }, humidity: 55 } }), { qos: 0 });

    const rows = await eventually(() => {
      const r = gateway.query<{ metric: string; value: number; unit: string; ts: number; ts_from_arrival: number }>(
        `SELECT metric, value, unit, ts, ts_from_arrival FROM readings WHERE sensor_id = 'air-1' ORDER BY metric`);
      return r.length === 4 ? r : null;
    });
    expect(rows.map((r) => [r.metric, r.value, r.unit])).toEqual([
      ['humidity', 55, 'pct'], ['no2', 41, 'ugm3'], ['pm25', 17.5, 'ugm3'], ['temperature', 10, 'C'],
    ]);
    expect(rows.find((r) => r.metric === 'pm25')!.ts_from_arrival).toBe(1);
    expect(rows.find((r) => r.metric === 'no2')!.ts).toBe(ts);
  });

  it('takes readings from an independent client (mosquitto_pub)', async () => {
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gateway.mqttPort), '-q', '1', '-t', 'sensors/delay_s/stop-1', '-m', '{"value": 95}']);
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gateway.mqttPort), '-q', '0', '-t', 'sensors/delay_s/stop-1', '-m', '120']);
    const rows = await eventually(() => {
      const r = gateway.query<{ value: number }>(`SELECT value FROM readings WHERE sensor_id = 'stop-1' ORDER BY id`);
      return r.length === 2 ? r : null;
    });
    expect(rows.map((r) => r.value)).toEqual([95, 120]);
  });

  it('quarantines malformed payloads with a reason, acknowledges them, and keeps running', async () => {
    await client.publishAsync('sensors/pm25/air-1', 'not json', { qos: 1 });
    await client.publishAsync('sensors/pm25/air-1', '{"value": -3}', { qos: 1 });
    await client.publishAsync('sensors/pm25/air-1', JSON.stringify({ value: 5, ts: Date.now() + 3_600_000 }), { qos: 1 });
    await client.publishAsync('sensors/pm25', '5', { qos: 1 });
    const rows = await eventually(() => {
      const r = gateway.query<{ reason: string; origin: string }>('SELECT reason, origin FROM quarantine ORDER BY id');
      return r.length === 4 ? r : null;
    });
    expect(rows.map((r) => r.reason)).toEqual([
      expect.stringMatching(/neither a number nor JSON/),
      expect.stringMatching(/pm25 -3 ugm3 is outside/),
      expect.stringMatching(/in the future/),
      expect.stringMatching(/topic must be/),
    ]);
    await client.publishAsync('sensors/pm25/air-1', '18', { qos: 1 });
  });

  it('quarantines every unreadable payload but logs only the first 10 a minute from one topic', async () => {
    await Promise.all(Array.from({ length: 30 }, () => client.publishAsync('sensors/pm25/air-flood', 'still not json', { qos: 1 })));
    const rows = gateway.query<{ n: number }>("SELECT count(*) AS n FROM quarantine WHERE origin = 'sensors/pm25/air-flood'");
    expect(rows[0]!.n).toBe(30);
    await client.publishAsync('sensors/pm25/air-marker', 'not json either', { qos: 1 }); // logged after all of the above
    await gateway.waitForLog((l) => l.msg === 'payload quarantined' && l.topic === 'sensors/pm25/air-marker');
    expect(gateway.logs.filter((l) => l.msg === 'payload quarantined' && l.topic === 'sensors/pm25/air-flood')).toHaveLength(10);
  });

  it('closes windows, scores both contexts per cell, and writes outbox rows in order', async () => {
    const start = Math.floor((Date.now() - 30 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
    const publishes: Promise<unknown>[] = [];
    for (let ts = start; ts < start + 15 * MINUTE; ts += 30_000) {
      publishes.push(client.publishAsync('sensors/pm25/air-1', JSON.stringify({ value: 10 + ((ts - start) / 30_000) % 4, ts }), { qos: 1 }));
      publishes.push(client.publishAsync('sensors/delay_s/stop-1', JSON.stringify({ value: 150, ts }), { qos: 1 }));
    }
    await Promise.all(publishes);

    const windows = await eventually(() => {
      const w = gateway.query<{ sensor_id: string; start_ms: number; count: number; mean: number; min: number; max: number }>(
        `SELECT sensor_id, start_ms, count, mean, min, max FROM window_results WHERE kind = 'tumbling' AND start_ms >= ? ORDER BY sensor_id, start_ms`, start);
      return w.length >= 6 ? w : null;
    });
    const first = windows.find((w) => w.sensor_id === 'air-1' && w.start_ms === start)!;
    expect(first).toMatchObject({ count: 10, min: 10, max: 13, mean: expect.closeTo(11.3, 9) });

    const scores = await eventually(() => {
      const s = gateway.query<{ context: string; score: number; ucid: string; window_end: number }>(
        'SELECT context, score, ucid, window_end FROM scores WHERE window_end = ?', start + 5 * MINUTE);
      return s.length === 2 ? s : null;
    });
    expect(scores.map((s) => s.context).sort()).toEqual(['CLIMATE', 'TRANSIT']);
    const transit = scores.find((s) => s.context === 'TRANSIT')!;
    expect(transit.score).toBe(75);
    for (const s of scores) expect(parseUcid(s.ucid).context).toBe(s.context);

    const outbox = gateway.query<{ topic: string; msg_key: string; payload: string }>('SELECT topic, msg_key, payload FROM outbox ORDER BY seq');
    expect(outbox.length).toBeGreaterThanOrEqual(6);
    expect(new Set(outbox.map((o) => o.topic))).toEqual(new Set(['ucid.processed.scores']));
    const payload = JSON.parse(outbox[0]!.payload) as Record<string, unknown>;
    expect(payload).toMatchObject({ kind: 'ScoreUpdate', gateway_id: 'gw-test', schema: 'ucid.score.v1' });
    expect(outbox[0]!.msg_key).toBe(`IST:${payload.h3_index as string}:${payload.context as string}`);

    // the correlation id follows the reading that (re)emitted the window into the window row, the score row and the
    // outbox payload; air-1 already reported in the present, so its readings here are late revisions, stop-1's are on time
    const readingOf = (correlationId: string) => {
      const [, rowId] = /^gw-test\/r(\d+)$/.exec(correlationId)!;
      return gateway.query<{ sensor_id: string; ts: number }>('SELECT sensor_id, ts FROM readings WHERE id = ?', Number(rowId))[0]!;
    };
    const traced = gateway.query<{ correlation_id: string; context: string }>('SELECT correlation_id, context FROM scores WHERE window_end = ?', start + 5 * MINUTE);
    for (const row of traced) {
      const reading = readingOf(row.correlation_id);
      const sensor = row.context === 'TRANSIT' ? 'stop-1' : 'air-1';
      expect(reading.sensor_id).toBe(sensor);
      expect(reading.ts).toBeGreaterThanOrEqual(start);
      expect(reading.ts).toBeLessThan(start + 10 * MINUTE);
      const [windowRow] = gateway.query<{ correlation_id: string }>(`SELECT correlation_id FROM window_results WHERE kind = 'tumbling' AND sensor_id = ? AND start_ms = ?`, sensor, start);
      expect(readingOf(windowRow!.correlation_id).sensor_id).toBe(sensor);
    }
    const withIds = outbox.map((o) => JSON.parse(o.payload) as { correlation_id?: string });
    expect(withIds.every((p) => p.correlation_id?.startsWith('gw-test/r'))).toBe(true);
  });
});
