import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { GatewayProcess, eventually } from './support/gateway-process.js';

const MINUTE = 60_000;

interface WindowRow { start_ms: number; count: number; mean: number; revision: number }

describe('event-time windows across a crash', () => {
  it('rebuilds an open window from stored readings after SIGKILL, then revises it with a late reading', async () => {
    const gateway = await GatewayProcess.start({ sensors: [{ id: 'w-1', lat: 41.015, lon: 28.979, expectedInterval: '1h' }] });
    const windowStart = Math.floor((Date.now() - 40 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
    const publish = async (port: number, points: Array<[offsetMs: number, value: number]>) => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `w-${port}` });
      for (const [offset, value] of points) await client.publishAsync('sensors/pm25/w-1', JSON.stringify({ value, ts: windowStart + offset }), { qos: 1 });
      await client.endAsync();
    };

    // out of order inside the window, all PUBACKed (committed) before the crash
    await publish(gateway.mqttPort, [[0, 10], [3 * MINUTE, 40], [MINUTE, 20], [4 * MINUTE, 50], [2 * MINUTE, 30]]);
    await gateway.kill();

    const restarted = await GatewayProcess.spawn(['start', '--config', gateway.configFile], gateway.dir, gateway.configFile);
    const tumbling = () => restarted.query<WindowRow>(`SELECT start_ms, count, mean, revision FROM window_results WHERE kind = 'tumbling' AND sensor_id = 'w-1' AND start_ms = ?`, windowStart);
    expect(tumbling()).toEqual([]);

    await publish(restarted.mqttPort, [[4.5 * MINUTE, 60], [6 * MINUTE, 70]]);
    const closed = await eventually(() => tumbling()[0]);
    expect(closed).toMatchObject({ count: 6, mean: 35, revision: 0 });

    // late, inside the revision horizon: revised; far too late: stored and counted, not aggregated
    await publish(restarted.mqttPort, [[30_000, 15], [-3 * 60 * MINUTE, 99]]);
    const revised = await eventually(() => (tumbling()[0]?.revision === 1 ? tumbling()[0] : null));
    expect(revised).toMatchObject({ count: 7, mean: expect.closeTo(225 / 7, 9) });
    const lateness = restarted.query<{ lateness: string; n: number }>(`SELECT lateness, count(*) AS n FROM readings WHERE sensor_id = 'w-1' GROUP BY lateness ORDER BY lateness`);
    expect(lateness).toEqual([{ lateness: 'late_dropped', n: 1 }, { lateness: 'late_revised', n: 1 }, { lateness: 'on_time', n: 7 }]);
    expect(await restarted.stop()).toBe(0);
  });

  it('after a clean stop, restores the window engine from its snapshot instead of replaying, with the same windows', async () => {
    const gateway = await GatewayProcess.start({ sensors: [{ id: 'w-2', lat: 41.015, lon: 28.979, expectedInterval: '1h' }] });
    const windowStart = Math.floor((Date.now() - 40 * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
    const publish = async (port: number, points: Array<[offsetMs: number, value: number]>) => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `w2-${port}` });
      for (const [offset, value] of points) await client.publishAsync('sensors/pm25/w-2', JSON.stringify({ value, ts: windowStart + offset }), { qos: 1 });
      await client.endAsync();
    };
    await publish(gateway.mqttPort, [[0, 10], [3 * MINUTE, 40], [MINUTE, 20], [4 * MINUTE, 50], [2 * MINUTE, 30]]);
    expect(await gateway.stop()).toBe(0);

    const restarted = await GatewayProcess.spawn(['start', '--config', gateway.configFile], gateway.dir, gateway.configFile);
    expect(restarted.logs.find((l) => l.msg === 'windows rebuilt from stored readings')).toMatchObject({ from: 'snapshot', readings: 0 });
    const tumbling = () => restarted.query<WindowRow>(`SELECT start_ms, count, mean, revision FROM window_results WHERE kind = 'tumbling' AND sensor_id = 'w-2' AND start_ms = ?`, windowStart);
    await publish(restarted.mqttPort, [[4.5 * MINUTE, 60], [6 * MINUTE, 70]]);
    expect(await eventually(() => tumbling()[0])).toMatchObject({ count: 6, mean: 35, revision: 0 });
    await publish(restarted.mqttPort, [[30_000, 15]]);
    expect(await eventually(() => (tumbling()[0]?.revision === 1 ? tumbling()[0] : null))).toMatchObject({ count: 7, mean: expect.closeTo(225 / 7, 9) });
    expect(await restarted.stop()).toBe(0);
  });
});
