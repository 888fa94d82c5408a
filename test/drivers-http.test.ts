import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverContext } from '../drivers/driver.js';
import { createDriver } from '../drivers/http/driver.js';
import { compilePath, getPath } from '../drivers/http/json-path.js';
import { httpSchema } from '../drivers/http/schema.js';
import { createCaptureContext } from './support/driver-context.js';
import { FeedServer } from './peers/http-feed.js';

const KEY = 'sk-live-0123456789abcdef';

/** A capture context whose log is kept, at trace level, to check that no secret reaches it. */
function loggedContext() {
  const ctx = createCaptureContext();
  let logged = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { logged += chunk.toString(); done(); } });
  const driverCtx: DriverContext = { ...ctx, log: pino({ level: 'trace' }, sink) };
  return { ctx, driverCtx, logged: () => logged };
}

const WEATHER = {
  dt: 1_800_000_000,
  main: { temp: 21.3, humidity: '55' },
  air: { 'pm2.5': 12.5 },
  stations: [{ id: 'st-1', no2: 40, at: '2027-01-15T08:00:00Z' }, { id: 'st-2', no2: null, at: '2027-01-15T08:00:00Z' }, { id: 3, no2: 22.5, at: '2027-01-15T08:00:00Z' }],
};

describe('HTTP/REST poller against a local server', () => {
  let server: FeedServer;
  let url: string;

  beforeEach(async () => {
    server = new FeedServer('application/json');
    url = await server.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('maps JSON fields to readings, sends the key in the query and never logs it', async () => {
    server.setBody(JSON.stringify(WEATHER));
    process.env.UCID_TEST_WEATHER_KEY = KEY;
    const { ctx, driverCtx, logged } = loggedContext();
    const driver = createDriver(httpSchema.parse({
      type: 'http', name: 'weather', url: `${url}/data/2.5/weather?lat=41.01&lon=28.97`, interval: '50ms', dailyBudget: 864_000,
      apiKey: { query: 'appid', value: { env: 'UCID_TEST_WEATHER_KEY' } }, sensorId: 'weather-ist',
      timestamp: { path: 'dt' },
      fields: [
        { path: 'main.temp', metric: 'temperature', unit: 'C' },
        { path: '$.main.humidity', metric: 'humidity', unit: 'pct' },
        { path: "air['pm2.5']", metric: 'pm25', unit: 'ugm3', sensorId: 'weather-ist-air' },
        { path: 'main.pressure', metric: 'pressure', unit: 'hPa' },
      ],
    }), driverCtx);
    await driver.start();
    try {
      await ctx.waitForReadings(3);
      await server.waitForRequests(1, (r) => r.status === 304);
      expect(ctx.readings.slice(0, 3)).toEqual([
        expect.objectContaining({ sensorId: 'weather-ist', metric: 'temperature', value: 21.3, unit: 'C', ts: 1_800_000_000_000, tsFromArrival: false, source: 'weather' }),
        expect.objectContaining({ sensorId: 'weather-ist', metric: 'humidity', value: 55 }),
        expect.objectContaining({ sensorId: 'weather-ist-air', metric: 'pm25', value: 12.5 }),
      ]);
      expect(ctx.health.errors.field_missing).toBeGreaterThanOrEqual(1);
      expect(new URL(server.requests[0]!.url, url).searchParams.get('appid')).toBe(KEY);
    } finally {
      await driver.stop();
    }
    expect(logged()).toContain('main.pressure');
    expect(logged()).not.toContain(KEY);
    expect(JSON.stringify(ctx.health)).not.toContain(KEY);
  });

  it('reads records from an array, with a sensor id per record and a header key', async () => {
    server.setBody(JSON.stringify(WEATHER));
    const ctx = createCaptureContext();
    const driver = createDriver(httpSchema.parse({
      type: 'http', name: 'aq', url: `${url}/v3/latest`, interval: '50ms', conditional: false,
      apiKey: { header: 'X-API-Key', value: KEY }, records: 'stations', sensorIdPath: 'id', timestamp: { path: 'at', format: 'iso' },
      fields: [{ path: 'no2', metric: 'no2', unit: 'ug/m3', scale: 2, offset: 1 }],
    }), ctx);
    await driver.start();
    try {
      await ctx.waitForReadings(4);
      expect(ctx.readings.slice(0, 2)).toEqual([
        expect.objectContaining({ sensorId: 'st-1', value: 81, ts: Date.parse('2027-01-15T08:00:00Z') }),
        expect.objectContaining({ sensorId: '3', value: 46 }),
      ]);
      expect(server.requests[0]!.headers['x-api-key']).toBe(KEY);
      expect(server.requests.every((r) => r.status === 200)).toBe(true);
    } finally {
      await driver.stop();
    }
  });

  it('quarantines a body that is not JSON or has none of the fields, backs off on 401 and 503, follows no redirect', async () => {
    server.setBody(JSON.stringify({ main: { temp: 19 } }));
    server.script.push(
      { status: 200, body: 'Service temporarily unavailable' },
      { status: 200, body: JSON.stringify({ unexpected: true }) },
      { status: 401, body: 'invalid key' },
      { status: 503, headers: { 'retry-after': '0' } },
      { status: 302, headers: { location: 'http://attacker.example/collect' } },
    );
    const ctx = createCaptureContext();
    const driver = createDriver(httpSchema.parse({
      type: 'http', name: 'weather', url: `${url}/w`, interval: '20ms', backoff: { initial: '50ms', max: '200ms' },
      sensorId: 'weather-ist', fields: [{ path: 'main.temp', metric: 'temperature', unit: 'C' }],
    }), ctx);
    await driver.start();
    try {
      await ctx.waitForReadings(1);
      await ctx.waitForState('up');
      expect(ctx.rejected.map((r) => r.reason)).toEqual([expect.stringContaining('is not JSON'), expect.stringContaining('no mapped field found')]);
      expect(ctx.health.errors).toMatchObject({ decode: 1, mapping: 1, http_4xx: 1, http_5xx: 1, http_3xx: 1 });
      expect(ctx.readings[0]).toMatchObject({ value: 19, tsFromArrival: true });
    } finally {
      await driver.stop();
    }
  });
});

describe('HTTP poller config and JSON paths', () => {
  it('compiles paths with dots, indices and quoted keys, and rejects malformed ones', () => {
    expect(compilePath('$.list[0].main.temp')).toEqual(['list', 0, 'main', 'temp']);
    expect(compilePath("data['pm2.5']")).toEqual(['data', 'pm2.5']);
    for (const bad of ['.a', 'a..b', 'a b', 'a[x]']) expect(compilePath(bad)).toBeNull();
    expect(getPath({ list: [{ v: 1 }] }, ['list', 0, 'v'])).toBe(1);
    expect(getPath({ list: { 0: 1 } }, ['list', 0])).toBeUndefined();
  });

  it('names every problem: no sensor id, a GET with a body, both key places, a bad path', () => {
    const result = httpSchema.safeParse({
      type: 'http', url: 'ftp://x', body: '{}', apiKey: { header: 'X-Key', query: 'k', value: 'v' },
      fields: [{ path: 'a..b', metric: 'temperature' }],
    });
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['url', 'apiKey', 'fields.0.path']));
    const missing = httpSchema.safeParse({ type: 'http', url: 'https://x.example/a', body: '{}', fields: [{ path: 'a', metric: 'temperature' }] });
    expect(missing.error!.issues.map((i) => i.path.join('.'))).toEqual(['fields.0.sensorId', 'body']);
  });
});
