import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver } from '../drivers/opcua/driver.js';
import { createCaptureContext } from './support/driver-context.js';
import { freePort, type Peer } from './peers/process.js';
import { ITEMS, latest, opcuaConfig, startAsyncuaServer, tempDir } from './peers/opcua.js';

const NS = 2;

describe("OPC UA driver against Python asyncua's server", () => {
  const pki = tempDir();
  let port: number;
  let peer: Peer;

  beforeAll(async () => {
    port = await freePort();
    peer = await startAsyncuaServer(port, 1);
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it('maps values and status codes; recovers after the server restarts although Republish and transfer fail', async () => {
    const ctx = createCaptureContext();
    const driver = createDriver(opcuaConfig(port, NS, pki), ctx);
    await driver.start();
    try {
      await ctx.waitForState('up');
      for (const [, metric] of ITEMS.filter(([node]) => node !== 'Bad')) await ctx.waitForReadings(1, (r) => r.metric === metric);
      await ctx.waitForReadings(3, (r) => r.metric === 'count');

      expect(latest(ctx.readings, 'temperature')).toMatchObject({ sensorId: 'plc-1', value: 21.5, unit: 'C', quality: 'good', tsFromArrival: false });
      expect(latest(ctx.readings, 'pm25')).toMatchObject({ value: 7.5, quality: 'uncertain' });
      expect(latest(ctx.readings, 'big')).toMatchObject({ value: -5_000_000_000 });
      expect(latest(ctx.readings, 'flag')).toMatchObject({ value: 1 });
      // asyncua follows Part 4 §7.7.1: a Bad DataValue carries no value, so there is nothing to store; it is counted
      expect(ctx.readings.filter((r) => r.metric === 'no2')).toHaveLength(0);
      expect(ctx.health.errors.bad_status).toBeGreaterThan(0);

      await peer.kill();
      await ctx.waitForState('down');
      peer = await startAsyncuaServer(port, 2);
      await ctx.waitForReadings(1, (r) => r.metric === 'instance' && r.value === 2, 60_000);
      const seen = ctx.readings.filter((r) => r.metric === 'count').length;
      await ctx.waitForReadings(seen + 3, (r) => r.metric === 'count');
      await ctx.waitForState('up');
    } finally {
      await driver.stop();
    }
  });
});
