import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDriver } from '../drivers/modbus/driver.js';
import { modbusSchema } from '../drivers/modbus/schema.js';
import type { Driver } from '../drivers/driver.js';
import { createCaptureContext, type CaptureContext } from './support/driver-context.js';
import { ModbusPeer } from './peers/modbus-peer.js';
import { TYPED_REQUESTS, typedValues } from './peers/modbus-fixtures.js';
import { PtyPair } from './peers/pty-pair.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Line {
  pty: PtyPair;
  peer: ModbusPeer;
  driverEnd: string;
}

async function startLine(units: number[], corruptCrc: number[] = []): Promise<Line> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-modbus-rtu-'));
  const pty = new PtyPair(path.join(dir, 'driver'), path.join(dir, 'device'));
  await pty.start();
  cleanup.push(() => pty.stop());
  const values = [1, 2, 7].flatMap((unit) => typedValues(unit).map((v) => v.peer));
  const peer = new ModbusPeer({ serial: pty.b, units, values, valuesFile: path.join(dir, 'values.json'), corruptCrc });
  await peer.start();
  cleanup.push(() => peer.stop());
  return { pty, peer, driverEnd: pty.a };
}

function startDriver(serialPath: string, config: Record<string, unknown>): { driver: Driver; ctx: CaptureContext } {
  const ctx = createCaptureContext();
  const parsed = modbusSchema.parse({ type: 'modbus', name: 'rtu', connection: { transport: 'rtu', path: serialPath, baudRate: 19200, parity: 'none' }, ...config });
  const driver = createDriver(parsed, ctx);
  cleanup.push(() => driver.stop());
  return { driver, ctx };
}

const polls = (ctx: CaptureContext, sensorId: string, metric: string) => ctx.readings.filter((r) => r.sensorId === sensorId && r.metric === metric).length;

describe('modbus RTU driver against a pymodbus serial server over a socat pty pair', () => {
  it('decodes every type and word order; counts timeouts of a silent unit and CRC errors of a garbled one', async () => {
    const line = await startLine([1, 2, 7], [7]);
    const fixtures = typedValues(1);
    const { driver, ctx } = startDriver(line.driverEnd, {
      timeout: '500ms', retries: 1,
      devices: [
        { unitId: 1, sensorId: 'typed', interval: '50ms', registers: fixtures.map((v) => v.config) },
        { unitId: 2, sensorId: 'two', interval: '50ms', registers: [{ metric: 'v', address: 0, type: 'int16' }] },
        { unitId: 7, sensorId: 'garbled', interval: '50ms', registers: [{ metric: 'v', address: 0, type: 'int16' }] },
        { unitId: 9, sensorId: 'silent', interval: '50ms', registers: [{ metric: 'v', address: 0, type: 'int16' }] },
      ],
    });
    await driver.start();
    await ctx.waitForReadings(20, (r) => r.sensorId === 'two');
    await ctx.waitForReadings(10 * fixtures.length, (r) => r.sensorId === 'typed');
    const detail = ctx.health.detail;
    await driver.stop();

    for (const fixture of fixtures) {
      const got = ctx.readings.find((r) => r.sensorId === 'typed' && r.metric === fixture.config.metric);
      expect(got?.value, String(fixture.config.metric)).toBe(fixture.expected);
    }
    const stats = await line.peer.stats();
    const typedPolls = polls(ctx, 'typed', 'scaled');
    for (const [fc, perPoll] of Object.entries(TYPED_REQUESTS)) expect(stats[`1:${fc}`], `unit 1 fc ${fc}`).toBe(typedPolls * perPoll);
    expect(polls(ctx, 'garbled', 'v') + polls(ctx, 'silent', 'v')).toBe(0);
    expect(ctx.health.errors.crc).toBe(stats['7:3']);
    expect(ctx.health.errors.timeout).toBe(stats['9:3']);
    // without back-off every typed poll would wait behind a silent-unit timeout: the silent unit gets fewer requests than the live one polls
    expect(stats['9:3']).toBeLessThan(typedPolls);
    expect(detail).toMatch(/not answering: unit 7, 9/);
    expect(detail).toMatch(/unit 7 holding 0: crc×\d+/);
    expect(detail).toMatch(/unit 9 holding 0: timeout×\d+/);
  });

  it('recovers after the line is unplugged (socat and server killed) and plugged back in', async () => {
    const line = await startLine([1]);
    const { driver, ctx } = startDriver(line.driverEnd, {
      timeout: '150ms', reconnectMax: '400ms',
      devices: [{ unitId: 1, sensorId: 'one', interval: '50ms', registers: [{ metric: 'v', address: 0, type: 'int16' }] }],
    });
    await driver.start();
    await ctx.waitForState('up');
    await ctx.waitForReadings(3);
    await line.peer.stop();
    await line.pty.stop();
    await ctx.waitForState('down');
    const before = ctx.readings.length;
    await line.pty.start();
    await line.peer.start();
    await ctx.waitForState('up');
    await ctx.waitForReadings(before + 3);
    await driver.stop();
    expect(ctx.health.errors.disconnect).toBeGreaterThanOrEqual(1);
    expect(ctx.readings.at(-1)!.value).toBe(-12345);
  });

  it('recovers after the server alone is killed and restarted on the same line', async () => {
    const line = await startLine([1]);
    const { driver, ctx } = startDriver(line.driverEnd, {
      timeout: '150ms', maxBackoff: '300ms',
      devices: [{ unitId: 1, sensorId: 'one', interval: '50ms', registers: [{ metric: 'v', address: 0, type: 'int16' }] }],
    });
    await driver.start();
    await ctx.waitForReadings(3);
    await line.peer.stop();
    await ctx.waitForState('down');
    const before = ctx.readings.length;
    await line.peer.start();
    await ctx.waitForState('up');
    await ctx.waitForReadings(before + 3);
    await driver.stop();
    expect(ctx.health.errors.timeout).toBeGreaterThanOrEqual(1);
  });
});
