import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriverContext } from '../drivers/driver.js';
import { createDriver, deferAcknowledgements } from '../drivers/opcua/driver.js';
import { createCaptureContext } from './support/driver-context.js';
import { freePort, type Peer } from './peers/process.js';
import { ITEMS, latest, opcuaConfig, startNodeOpcuaServer, tempDir } from './peers/opcua.js';

const NS = 1;

describe("OPC UA driver against node-opcua's server", () => {
  const pki = tempDir();
  let port: number;
  let peer: Peer;

  beforeAll(async () => {
    port = await freePort();
    peer = await startNodeOpcuaServer(port, pki, 1);
  });
  afterAll(async () => {
    await peer?.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  it('maps values, status codes and source timestamps; reconnects after the server restarts', async () => {
    const ctx = createCaptureContext();
    const config = opcuaConfig(port, NS, pki);
    const driver = createDriver({ ...config, items: [...config.items, { ...config.items[0]!, nodeId: 'ns=1;s=Label', metric: 'label' }] }, ctx);
    await driver.start();
    try {
      await ctx.waitForState('up');
      for (const [, metric] of ITEMS) await ctx.waitForReadings(1, (r) => r.metric === metric);
      await ctx.waitForReadings(3, (r) => r.metric === 'count');

      expect(latest(ctx.readings, 'temperature')).toMatchObject({ sensorId: 'plc-1', value: 21.5, unit: 'C', quality: 'good', source: 'plc', tsFromArrival: false });
      expect(latest(ctx.readings, 'pm25')).toMatchObject({ value: 7.5, quality: 'uncertain' });
      // node-opcua's server keeps the value of a Bad DataValue, so there is a reading to mark bad
      expect(latest(ctx.readings, 'no2')).toMatchObject({ value: 3, quality: 'bad' });
      expect(latest(ctx.readings, 'big')).toMatchObject({ value: -5_000_000_000 });
      expect(latest(ctx.readings, 'flag')).toMatchObject({ value: 1 });
      expect(latest(ctx.readings, 'instance')).toMatchObject({ value: 1 });
      expect(ctx.rejected).toContainEqual(expect.objectContaining({ origin: 'ns=1;s=Label', reason: expect.stringContaining('String value is not a number') }));
      const counts = ctx.readings.filter((r) => r.metric === 'count').map((r) => r.value);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));

      await peer.kill();
      await ctx.waitForState('down');
      peer = await startNodeOpcuaServer(port, pki, 2);
      await ctx.waitForReadings(1, (r) => r.metric === 'instance' && r.value === 2, 60_000);
      const seen = ctx.readings.filter((r) => r.metric === 'count').length;
      await ctx.waitForReadings(seen + 3, (r) => r.metric === 'count');
      await ctx.waitForState('up');
      expect(ctx.health.errors.connection_lost).toBeGreaterThan(0);
    } finally {
      await driver.stop();
    }
    expect(ctx.health.state).toBe('stopped');
  });

  it('reports an item the server does not have as degraded and keeps the others', async () => {
    const ctx = createCaptureContext();
    const config = opcuaConfig(port, NS, pki);
    const driver = createDriver({ ...config, items: [config.items[0]!, { ...config.items[0]!, nodeId: 'ns=1;s=Missing', metric: 'missing' }] }, ctx);
    await driver.start();
    try {
      await ctx.waitForState('degraded');
      await ctx.waitForReadings(1, (r) => r.metric === 'temperature');
      expect(ctx.health.detail).toContain('ns=1;s=Missing (BadNodeIdUnknown)');
      expect(ctx.health.errors.item).toBe(1);
      expect(ctx.health.errors.unknown_handle).toBeUndefined();
    } finally {
      await driver.stop();
    }
  });

  it('stops asking for notifications while commits lag, and resumes', async () => {
    const ctx = createCaptureContext();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const received: number[] = [];
    const slow: DriverContext = {
      ...ctx,
      async submit(readings, options) {
        received.push(readings[0]!.receivedAt);
        await gate;
        await ctx.submit(readings, options);
      },
    };
    const config = opcuaConfig(port, NS, pki);
    const driver = createDriver({ ...config, items: config.items.filter((i) => i.metric === 'count') }, slow);
    await driver.start();
    try {
      await ctx.waitForState('up');
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const releasedAt = Date.now();
      open();
      await ctx.waitForReadings(1, (r) => r.receivedAt > releasedAt);
      // 40 counter changes were published meanwhile; at most 20 messages waited, plus Publish responses in flight
      expect(received.filter((t) => t < releasedAt).length).toBeLessThanOrEqual(30);
      expect(ctx.health.state).toBe('up');
    } finally {
      await driver.stop();
    }
  });

  it('applies an absolute deadband: the server reports only changes larger than it', async () => {
    const ctx = createCaptureContext();
    const config = opcuaConfig(port, NS, pki);
    const counter = { ...config.items.find((i) => i.metric === 'count')!, deadband: { type: 'absolute' as const, value: 5 } };
    const driver = createDriver({ ...config, items: [counter] }, ctx);
    await driver.start();
    try {
      const values = (await ctx.waitForReadings(5)).map((r) => r.value);
      const steps = values.slice(1).map((v, i) => v - values[i]!);
      expect(steps.every((step) => step > 5)).toBe(true);
    } finally {
      await driver.stop();
    }
  });

  it('signs and encrypts (Basic256Sha256) with a user name and a password from the environment', async () => {
    process.env.UCID_TEST_OPCUA_PASSWORD = 's3cret';
    const ctx = createCaptureContext();
    const driver = createDriver(opcuaConfig(port, NS, pki, {
      securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256',
      auth: { type: 'username', username: 'operator', password: { env: 'UCID_TEST_OPCUA_PASSWORD' } },
    }), ctx);
    await driver.start();
    try {
      await ctx.waitForReadings(1, (r) => r.metric === 'temperature' && r.value === 21.5);
      expect(ctx.health.state).toBe('up');
    } finally {
      await driver.stop();
    }
  });

  it('reports a wrong password as down, keeps retrying, and never shows the password', async () => {
    const ctx = createCaptureContext();
    const driver = createDriver(opcuaConfig(port, NS, pki, { auth: { type: 'username', username: 'operator', password: 'wrong-pw-123' } }), ctx);
    await driver.start();
    try {
      await ctx.waitForState('down');
      await ctx.waitForState('connecting');
      await ctx.waitForState('down');
      expect(ctx.health.errors.rebuild).toBeGreaterThanOrEqual(2);
      expect(ctx.readings).toHaveLength(0);
      expect(ctx.health.detail).not.toContain('wrong-pw-123');
    } finally {
      await driver.stop();
    }
  });
});

describe('OPC UA acknowledgements', () => {
  it('holds a notification acknowledgement until it is claimed and released, and releases unclaimed ones', async () => {
    const sent: string[] = [];
    const engine = { acknowledge_notification: (subscriptionId: number, seq: number) => void sent.push(`${subscriptionId}:${seq}`), suspend: () => undefined };
    const claim = deferAcknowledgements(engine);
    engine.acknowledge_notification(7, 1);
    engine.acknowledge_notification(7, 2);
    const release = claim(7, 1);
    await Promise.resolve();
    expect(sent).toEqual(['7:2']);
    release!();
    expect(sent).toEqual(['7:2', '7:1']);
    expect(claim(7, 1)).toBeNull();
  });
});
