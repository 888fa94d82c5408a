import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import { latLngToCell } from 'h3-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, GatewayProcess } from './support/gateway-process.js';
import { FeedServer } from './peers/http-feed.js';
import { freePort } from './peers/process.js';

const { transit_realtime: rt } = GtfsRealtimeBindings;
const STOP = { id: 'T-1', lat: 41.015, lon: 28.979 };

describe('the gateway with OPC UA, GTFS-RT, REST and MQTT bridge instances, one broken of each kind', () => {
  let gateway: GatewayProcess;
  let gtfs: FeedServer;
  let weather: FeedServer;

  beforeAll(async () => {
    gtfs = new FeedServer('application/x-protobuf');
    const now = Math.floor(Date.now() / 1000);
    gtfs.setBody(Buffer.from(rt.FeedMessage.encode(rt.FeedMessage.fromObject({
      header: { gtfsRealtimeVersion: '2.0', timestamp: now },
      entity: [
        { id: 'tu', tripUpdate: { trip: { tripId: 'A' }, stopTimeUpdate: [{ stopId: STOP.id, arrival: { delay: 75 } }] } },
        { id: 'v', vehicle: { position: { latitude: STOP.lat, longitude: STOP.lon } } },
      ],
    })).finish()));
    weather = new FeedServer('application/json');
    weather.setBody(JSON.stringify({ current: { temperature_2m: 18.5, time: now } }));
    const [gtfsUrl, weatherUrl, deadPort] = [await gtfs.start(), await weather.start(), await freePort()];
    const dead = `127.0.0.1:${deadPort}`;
    gateway = await GatewayProcess.start({
      ingest: { unknownSensors: 'quarantine' },
      sensors: [{ id: 'weather-ist', lat: 41.015, lon: 28.979 }],
      drivers: [
        { type: 'gtfs-rt', name: 'metro', feeds: [`${gtfsUrl}/tu`], rateLimitPerMinute: 600, interval: '200ms', stops: [STOP] },
        { type: 'gtfs-rt', name: 'metro-broken', feeds: [`http://${dead}/tu`], rateLimitPerMinute: 600, interval: '200ms', backoff: { initial: '100ms', max: '200ms' } },
        { type: 'http', name: 'weather', url: `${weatherUrl}/v1/forecast`, interval: '200ms', sensorId: 'weather-ist', timestamp: { path: 'current.time' }, fields: [{ path: 'current.temperature_2m', metric: 'temperature', unit: '°C' }] },
        { type: 'http', name: 'weather-broken', url: `http://${dead}/v1`, interval: '200ms', backoff: { initial: '100ms', max: '200ms' }, sensorId: 'weather-ist', fields: [{ path: 't', metric: 'temperature' }] },
        { type: 'opcua', name: 'plc-broken', endpoint: `opc.tcp://${dead}`, reconnect: { initialDelay: '100ms', maxDelay: '200ms' }, items: [{ nodeId: 'ns=2;s=T', sensorId: 'plc-t', metric: 'temperature' }] },
        { type: 'mqtt-bridge', name: 'city-broken', url: `mqtt://${dead}`, reconnectPeriod: '200ms' },
      ],
    });
  });
  afterAll(async () => {
    expect(await gateway?.stop()).toBe(0);
    await gtfs?.stop();
    await weather?.stop();
  });

  it('stores what the working instances read, through the pipeline, while the broken ones are down', async () => {
    const cell = latLngToCell(STOP.lat, STOP.lon, 9);
    const rows = await eventually(() => {
      const r = gateway.query<{ sensor_id: string; metric: string; value: number; unit: string }>(
        "SELECT sensor_id, metric, value, unit FROM readings WHERE source IN ('metro', 'weather') ORDER BY sensor_id");
      return new Set(r.map((x) => x.sensor_id)).size === 3 ? r : null;
    }, 30_000);
    expect(rows).toEqual(expect.arrayContaining([
      { sensor_id: `cell.${cell}`, metric: 'vehicle_count', value: 1, unit: 'count' },
      { sensor_id: 'stop.T-1', metric: 'delay_s', value: 75, unit: 's' },
      expect.objectContaining({ sensor_id: 'weather-ist', metric: 'temperature', value: 18.5, unit: 'C' }),
    ]));
    for (const name of ['metro-broken', 'weather-broken', 'plc-broken', 'city-broken']) {
      await gateway.waitForLog((l) => l.msg === 'driver state' && l.driver === name && l.to === 'down', 30_000);
    }
    expect(gateway.logs.filter((l) => l.level >= 50 && l.msg !== 'driver failed to start')).toEqual([]);
  });
});
