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

const dir = mkdtempSync(path.join(tmpdir(), 'ucid-modbus-tcp-'));
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function startPeer(units: number[], values = typedValues(1).map((v) => v.peer)): Promise<ModbusPeer> {
  const peer = new ModbusPeer({ units, values, valuesFile: path.join(dir, `values-${units.join('-')}.json`) });
  await peer.start();
  cleanup.push(() => peer.stop());
  return peer;
}

function startDriver(port: number, config: Record<string, unknown>): { driver: Driver; ctx: CaptureContext } {
  const ctx = createCaptureContext();
  const parsed = modbusSchema.parse({ type: 'modbus', name: 'mb', connection: { transport: 'tcp', host: '127.0.0.1', port }, ...config });
  const driver = createDriver(parsed, ctx);
  cleanup.push(() => driver.stop());
  return { driver, ctx };
}

const polls = (ctx: CaptureContext, sensorId: string, metric: string) => ctx.readings.filter((r) => r.sensorId === sensorId && r.metric === metric).length;

describe('modbus TCP driver against pymodbus', () => {
  it('decodes every type and word order, coalesces reads, and counts exceptions per register', async () => {
    const fixtures = typedValues(1);
    const bulk = Array.from({ length: 130 }, (_, i) => ({ unit: 2, table: 'holding' as const, address: 200 + i, type: 'uint16', value: i * 3 }));
    const edge = [997, 998, 999].map((address) => ({ unit: 3, table: 'holding' as const, address, type: 'uint16', value: address }));
    const peer = await startPeer([1, 2, 3], [...fixtures.map((v) => v.peer), ...bulk, ...edge]);
    const { driver, ctx } = startDriver(peer.port, {
      devices: [
        { unitId: 1, sensorId: 'typed', interval: '50ms', registers: fixtures.map((v) => v.config) },
        { unitId: 2, sensorId: 'bulk', interval: '50ms', registers: bulk.map((b) => ({ metric: `r${b.address}`, address: b.address })) },
        // 1000 is past the peer's table: the coalesced read draws exception 2, then values are read one by one.
        { unitId: 3, sensorId: 'edge', interval: '50ms', registers: [997, 998, 999, 1000].map((address) => ({ metric: `a${address}`, address })) },
      ],
    });
    await driver.start();
    await ctx.waitForReadings(5 * fixtures.length, (r) => r.sensorId === 'typed');
    await ctx.waitForReadings(3 * 3, (r) => r.sensorId === 'edge');
    const detail = ctx.health.detail;
    await driver.stop();

    for (const fixture of fixtures) {
      const got = ctx.readings.find((r) => r.sensorId === 'typed' && r.metric === fixture.config.metric);
      expect(got?.value, String(fixture.config.metric)).toBe(fixture.expected);
    }
    const sample = ctx.readings.find((r) => r.metric === 'scaled')!;
    expect(sample).toMatchObject({ unit: 'degC', quality: 'good', tsFromArrival: true, source: 'mb' });
    expect(ctx.readings.find((r) => r.metric === 'r329')?.value).toBe(129 * 3);

    const stats = await peer.stats();
    const typedPolls = polls(ctx, 'typed', 'scaled');
    for (const [fc, perPoll] of Object.entries(TYPED_REQUESTS)) expect(stats[`1:${fc}`], `unit 1 fc ${fc}`).toBe(typedPolls * perPoll);
    expect(stats['2:3']).toBe(2 * polls(ctx, 'bulk', 'r200'));
    const edgePolls = polls(ctx, 'edge', 'a997');
    expect(stats['3:3']).toBe(1 + 4 * edgePolls);
    expect(polls(ctx, 'edge', 'a1000')).toBe(0);
    expect(ctx.health.errors.exception).toBe(1 + edgePolls);
    expect(detail).toMatch(/unit 3 holding 1000: exception 2×\d+/);
    expect(detail).toContain('unit 3 holding 997-1000: exception 2×1');
    expect(ctx.health.errors.timeout ?? 0).toBe(0);
    expect(ctx.states).toContain('degraded');
    expect(ctx.states.at(-1)).toBe('stopped');
  });

  it('a unit that does not answer times out and backs off while the others keep polling', async () => {
    const peer = await startPeer([1, 2]);
    const register = [{ metric: 'v', address: 0, type: 'int16' }];
    const { driver, ctx } = startDriver(peer.port, {
      timeout: '300ms', retries: 1, maxBackoff: '2s',
      devices: [
        { unitId: 1, sensorId: 'one', interval: '50ms', registers: register },
        { unitId: 9, sensorId: 'dead', interval: '50ms', registers: register },
        { unitId: 2, sensorId: 'two', interval: '50ms', registers: register },
      ],
    });
    await driver.start();
    await ctx.waitForReadings(60, (r) => r.sensorId === 'one');
    const detail = ctx.health.detail;
    await driver.stop();

    const stats = await peer.stats();
    const one = polls(ctx, 'one', 'v');
    const two = polls(ctx, 'two', 'v');
    expect(two).toBeGreaterThanOrEqual(one * 0.9);
    expect(stats['1:3']).toBeGreaterThanOrEqual(one);
    // Without back-off the dead unit would get 2 requests per poll of the others.
    const dead = stats['9:3'] ?? 0;
    expect(dead).toBeGreaterThanOrEqual(3);
    expect(dead).toBeLessThan(one / 4);
    expect(ctx.health.errors.timeout).toBeGreaterThanOrEqual(dead);
    expect(polls(ctx, 'dead', 'v')).toBe(0);
    expect(detail).toContain('not answering: unit 9');
    expect(detail).toMatch(/unit 9 holding 0: timeout×\d+/);
    expect(ctx.states).toContain('degraded');
    expect(ctx.states).not.toContain('down');
  });

  it('recovers by itself after the server is killed and restarted', async () => {
    const peer = await startPeer([1]);
    const { driver, ctx } = startDriver(peer.port, {
      timeout: '200ms', reconnectMax: '500ms',
      devices: [{ unitId: 1, sensorId: 'one', interval: '50ms', registers: [{ metric: 'v', address: 0, type: 'int16' }] }],
    });
    await driver.start();
    await ctx.waitForState('up');
    await ctx.waitForReadings(3);
    await peer.stop();
    await ctx.waitForState('down');
    const before = ctx.readings.length;
    await peer.start();
    await ctx.waitForState('up');
    await ctx.waitForReadings(before + 3);
    await driver.stop();
    expect(ctx.health.errors.disconnect).toBeGreaterThanOrEqual(1);
    expect(ctx.readings.at(-1)!.value).toBe(-12345);
  });
});
