import { closeSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver } from '../drivers/serial/driver.js';
import { serialSchema } from '../drivers/serial/schema.js';
import { createCaptureContext, type CaptureContext } from './support/driver-context.js';
import { PtyPair } from './peers/pty-pair.js';
import { sds011Frame } from './peers/sds011.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The sensor's end of a pty pair: what the test writes there arrives at the driver's end. */
class Sensor {
  private fd: number | null = null;
  constructor(readonly pty: PtyPair) {}

  async plugIn(): Promise<void> {
    await this.pty.start();
    this.fd = openSync(this.pty.b, 'w');
  }

  async unplug(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    await this.pty.stop();
  }

  /** Each chunk is a separate write, paced so the driver sees partial frames as they would arrive. */
  async send(...chunks: (string | Buffer)[]): Promise<void> {
    for (const chunk of chunks) {
      writeSync(this.fd!, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      await sleep(15);
    }
  }
}

async function setup(format: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ sensor: Sensor; ctx: CaptureContext }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-serial-'));
  const sensor = new Sensor(new PtyPair(path.join(dir, 'driver'), path.join(dir, 'sensor')));
  await sensor.plugIn();
  cleanup.push(() => sensor.unplug());
  const ctx = createCaptureContext();
  const driver = createDriver(serialSchema.parse({ type: 'serial', name: 'ser', path: sensor.pty.a, sensorId: 'dev-1', format, ...extra }), ctx);
  await driver.start();
  cleanup.push(() => driver.stop());
  await ctx.waitForState('up');
  return { sensor, ctx };
}

const values = (ctx: CaptureContext, metric: string) => ctx.readings.filter((r) => r.metric === metric).map((r) => r.value);

describe('serial driver over a socat pty pair', () => {
  it('json lines: fields to metrics, sensor id and time from the line, garbage quarantined', async () => {
    const { sensor, ctx } = await setup({
      kind: 'json', sensorIdField: 'id', tsField: 'ts',
      fields: { pm25: { metric: 'pm25', unit: 'µg/m³' }, 'env.t': { metric: 'temperature', unit: '°C' } },
    });
    await sensor.send('{"id":"x","pm', '25":1}\r\n', '\x00\xff garbage\n', '{"id":"n1","ts":1700000000000,"pm25":12.5,"env":{"t":21.5}}\n');
    await sensor.send('{"id":"n2","ts":"2024-01-01T00:00:00Z","pm25":"n/a"}\n', '{"id":"n2","ts":1700000001,"pm25":3}\n');
    await ctx.waitForReadings(4);
    expect(ctx.readings.map((r) => [r.sensorId, r.metric, r.value, r.ts])).toEqual([
      ['x', 'pm25', 1, expect.any(Number)],
      ['n1', 'pm25', 12.5, 1_700_000_000_000],
      ['n1', 'temperature', 21.5, 1_700_000_000_000],
      ['n2', 'pm25', 3, 1_700_000_001_000],
    ]);
    expect(ctx.readings[0]).toMatchObject({ unit: 'µg/m³', source: 'ser', quality: 'good' });
    expect(ctx.health.errors.parse).toBe(2);
    expect(ctx.rejected.map((r) => r.reason)).toEqual([expect.stringContaining('not JSON'), expect.stringContaining('"pm25" is not a number')]);
    expect(ctx.rejected[0]!.origin).toBe(sensor.pty.a);
  });

  it('csv lines with named columns and regex lines with named groups', async () => {
    const csv = await setup({ kind: 'csv', columns: ['id', 'pm25', 'no2'], fields: { pm25: 'pm25', no2: { metric: 'no2', unit: 'ppb' } }, sensorIdField: 'id' });
    const regex = await setup({ kind: 'regex', pattern: 'PM2\\.5=(?<pm25>[\\d.]+) PM10=(?<pm10>[\\d.]+)', fields: { pm25: 'pm25', pm10: 'pm10' } });
    await csv.sensor.send('n7,4.5,22\n', 'half,a', ' line\n', '1,2,3,4\n', 'n8,5.5,23\n');
    await regex.sensor.send('boot v1.2\n', 'PM2.5=4.2 PM10=9.9\n', 'PM2.5=err PM10=1\n', 'PM2.5=5 PM10=10\n');
    await csv.ctx.waitForReadings(4);
    await regex.ctx.waitForReadings(4);
    expect(csv.ctx.readings.map((r) => [r.sensorId, r.metric, r.value])).toEqual([['n7', 'pm25', 4.5], ['n7', 'no2', 22], ['n8', 'pm25', 5.5], ['n8', 'no2', 23]]);
    expect(csv.ctx.health.errors.parse).toBe(2);
    expect(values(regex.ctx, 'pm10')).toEqual([9.9, 10]);
    expect(regex.ctx.readings.every((r) => r.sensorId === 'dev-1' && r.tsFromArrival)).toBe(true);
    expect(regex.ctx.health.errors.parse).toBe(2);
  });

  it('SDS011 frames with garbage, partial frames and bad checksums in between', async () => {
    const { sensor, ctx } = await setup({ kind: 'sds011' });
    const corrupt = sds011Frame(99, 99);
    corrupt[8] = (corrupt[8]! + 1) & 0xff;
    const split = sds011Frame(35.4, 50.1);
    await sensor.send(Buffer.from([0x00, 0x13, 0xc0, 0xab]), sds011Frame(12.3, 20.5), Buffer.from('noise'), corrupt);
    await sensor.send(split.subarray(0, 4), split.subarray(4), Buffer.from([0xaa, 0xc0, 0x01]), sds011Frame(0.1, 999.9));
    await ctx.waitForReadings(6);
    expect(values(ctx, 'pm25')).toEqual([12.3, 35.4, 0.1]);
    expect(values(ctx, 'pm10')).toEqual([20.5, 50.1, 999.9]);
    expect(ctx.readings[0]).toMatchObject({ sensorId: 'dev-1', unit: 'µg/m³', tsFromArrival: true });
    expect(ctx.health.errors.checksum).toBeGreaterThanOrEqual(1);
    expect(ctx.health.errors.garbage).toBeGreaterThanOrEqual(2);
    expect(ctx.rejected[0]!.payload).toEqual(corrupt);
  });

  it('unplug and replug: health goes down, the port is reopened with backoff, readings resume', async () => {
    const { sensor, ctx } = await setup({ kind: 'sds011' }, { reopenMin: '100ms', reopenMax: '400ms' });
    await sensor.send(sds011Frame(1, 2));
    await ctx.waitForReadings(2);
    await sensor.unplug();
    await ctx.waitForState('down');
    await sleep(600);
    await sensor.plugIn();
    await ctx.waitForState('up');
    await sensor.send(sds011Frame(3, 4));
    await ctx.waitForReadings(4);
    expect(values(ctx, 'pm25')).toEqual([1, 3]);
    expect(ctx.health.errors.disconnect).toBe(1);
    expect(ctx.health.errors.open).toBeGreaterThanOrEqual(1);
    expect(ctx.states.filter((s) => s === 'up').length).toBe(2);
  });
});
