import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import { latLngToCell } from 'h3-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverContext } from '../drivers/driver.js';
import { createDriver } from '../drivers/gtfs-rt/driver.js';
import { gtfsRtSchema } from '../drivers/gtfs-rt/schema.js';
import type { Reading } from '../gateway/reading.js';
import { createCaptureContext, type CaptureContext } from './support/driver-context.js';
import { FeedServer } from './peers/http-feed.js';

const { transit_realtime: rt } = GtfsRealtimeBindings;

const S1 = { id: 'S1', lat: 41.015, lon: 28.979 };
const S2 = { id: 'S 2/x', lat: 41.03, lon: 29.0 };
const CELL1 = latLngToCell(S1.lat, S1.lon, 9);
const CELL2 = latLngToCell(S2.lat, S2.lon, 9);

function feed(headerTs: number, s1Delay: number, vehiclesAt: (typeof S1)[]): Buffer {
  const message = rt.FeedMessage.fromObject({
    header: { gtfsRealtimeVersion: '2.0', timestamp: headerTs },
    entity: [
      {
        id: 'trip-a',
        tripUpdate: {
          trip: { tripId: 'A', startDate: '20260101' },
          timestamp: headerTs,
          stopTimeUpdate: [
            { stopSequence: 1, stopId: 'S1', arrival: { delay: s1Delay } },
            { stopSequence: 2, stopId: 'S 2/x', departure: { delay: 120 } },
            { stopSequence: 3, stopId: 'S1', arrival: { time: headerTs + 600 } },
            { stopSequence: 4, stopId: 'NOT-LISTED', arrival: { delay: 30 } },
            { stopSequence: 5, stopId: 'S1', scheduleRelationship: 1 },
          ],
        },
      },
      ...vehiclesAt.map((at, i) => ({ id: `veh-${i}`, vehicle: { vehicle: { id: `bus-${i}` }, position: { latitude: at.lat, longitude: at.lon } } })),
    ],
  });
  return Buffer.from(rt.FeedMessage.encode(message).finish());
}

function config(url: string, extra: Record<string, unknown> = {}) {
  return gtfsRtSchema.parse({
    type: 'gtfs-rt', name: 'metro', feeds: [`${url}/gtfs-rt?agency=m`], rateLimitPerMinute: 6000, interval: '100ms',
    backoff: { initial: '100ms', max: '1s' }, apiKey: { header: 'X-Api-Key', value: 'k-123' }, stops: [S1, S2], ...extra,
  });
}

const of = (ctx: CaptureContext, sensorId: string, metric: string) => ctx.readings.filter((r: Reading) => r.sensorId === sensorId && r.metric === metric);

describe('GTFS-Realtime driver against a local HTTP server serving protobuf', () => {
  let server: FeedServer;
  let url: string;

  beforeEach(async () => {
    server = new FeedServer('application/x-protobuf');
    url = await server.start();
  });
  afterEach(async () => {
    await server.stop();
  });

  it('turns trip updates into per-stop delays and vehicles into counts per cell, and honours the ETag', async () => {
    const t1 = Math.floor(Date.now() / 1000) - 60;
    server.setBody(feed(t1, 60, [S1, S1, S2]));
    const ctx = createCaptureContext();
    const driver = createDriver(config(url), ctx);
    await driver.start();
    try {
      await ctx.waitForReadings(4);
      expect(of(ctx, 'stop.S1', 'delay_s')).toEqual([expect.objectContaining({ value: 60, unit: 's', ts: t1 * 1000, quality: 'good', source: 'metro' })]);
      expect(of(ctx, 'stop.S_2_x', 'delay_s')).toEqual([expect.objectContaining({ value: 120 })]);
      expect(of(ctx, `cell.${CELL1}`, 'vehicle_count').map((r) => r.value)).toEqual([2]);
      expect(of(ctx, `cell.${CELL2}`, 'vehicle_count').map((r) => r.value)).toEqual([1]);
      expect(ctx.readings.some((r) => r.sensorId.includes('NOT-LISTED'))).toBe(false);

      const conditional = await server.waitForRequests(2, (r) => r.status === 304);
      expect(conditional[0]!.headers['if-none-match']).toBe('"v1"');
      expect(conditional[0]!.headers['if-modified-since']).toBeTruthy();
      expect(server.requests.every((r) => r.headers['x-api-key'] === 'k-123')).toBe(true);
      expect(ctx.readings).toHaveLength(4);
      expect(ctx.health.state).toBe('up');

      server.setBody(feed(t1 + 30, 90, [S2, S2, S2]));
      await ctx.waitForReadings(1, (r) => r.sensorId === 'stop.S1' && r.value === 90);
      await ctx.waitForReadings(1, (r) => r.sensorId === `cell.${CELL2}` && r.value === 3);
      expect(of(ctx, `cell.${CELL1}`, 'vehicle_count').map((r) => r.value)).toEqual([2, 0]);
      // a trip update with a newer timestamp stores every stop's delay again, changed or not
      expect(of(ctx, 'stop.S_2_x', 'delay_s').map((r) => r.value)).toEqual([120, 120]);
    } finally {
      await driver.stop();
    }
  });

  it('quarantines a corrupted body, waits out a 429 and a 503, and recovers without crashing', async () => {
    server.setBody(feed(Math.floor(Date.now() / 1000), 45, [S1]));
    server.script.push(
      { status: 200, body: Buffer.from('<html>upstream proxy error</html>') },
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 503 },
    );
    const ctx = createCaptureContext();
    const driver = createDriver(config(url), ctx);
    await driver.start();
    try {
      await ctx.waitForReadings(1, (r) => r.sensorId === 'stop.S1' && r.value === 45);
      expect(ctx.rejected).toEqual([expect.objectContaining({ source: 'metro', origin: `${url}/gtfs-rt`, reason: expect.stringContaining('not a GTFS-Realtime FeedMessage') })]);
      expect(ctx.health.errors).toMatchObject({ decode: 1, rate_limited: 1, http_5xx: 1 });
      expect(ctx.states).toEqual(expect.arrayContaining(['degraded']));
      expect(server.requests.map((r) => r.status).slice(0, 4)).toEqual([200, 429, 503, 200]);
      await ctx.waitForState('up');
    } finally {
      await driver.stop();
    }
    expect(ctx.health.state).toBe('stopped');
  });

  it('fetches the feed again after a failed commit instead of taking a 304 for it', async () => {
    server.setBody(feed(Math.floor(Date.now() / 1000), 33, [S1]));
    const ctx = createCaptureContext();
    let failures = 1;
    const failing: DriverContext = {
      ...ctx,
      async submit(readings, options) {
        if (failures-- > 0) throw new Error('database is locked');
        await ctx.submit(readings, options);
      },
    };
    const driver = createDriver(config(url), failing);
    await driver.start();
    try {
      await ctx.waitForReadings(1, (r) => r.sensorId === 'stop.S1' && r.value === 33);
      expect(ctx.health.errors.submit).toBe(1);
      expect(server.requests.slice(0, 2).map((r) => [r.status, r.headers['if-none-match']])).toEqual([[200, undefined], [200, undefined]]);
    } finally {
      await driver.stop();
    }
  });

  it('goes down after repeated failures and comes back', async () => {
    server.setBody(feed(Math.floor(Date.now() / 1000), 10, []));
    server.script.push({ status: 500 }, { status: 502 }, { status: 500 });
    const ctx = createCaptureContext();
    const driver = createDriver(config(url), ctx);
    await driver.start();
    try {
      await ctx.waitForReadings(1, (r) => r.sensorId === 'stop.S1');
      await ctx.waitForState('up');
      expect(ctx.states).toEqual(expect.arrayContaining(['degraded', 'down', 'up']));
      expect(ctx.health.errors.http_5xx).toBe(3);
    } finally {
      await driver.stop();
    }
  });
});
