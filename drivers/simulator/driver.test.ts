import { describe, expect, it } from 'vitest';
import { createCaptureContext } from '../../test/support/driver-context.js';
import { createDriver } from './driver.js';
import { simulatorSchema, simulatorSensors } from './schema.js';
import { SIGNALS } from './signals.js';

describe('simulator driver', () => {
  it('backfills history and declares every sensor it publishes for', async () => {
    const config = simulatorSchema.parse({ type: 'simulator', name: 'sim', sites: 2, interval: '1m', backfill: '30m', via: 'direct' });
    const context = createCaptureContext();
    const driver = createDriver(config, context);
    await driver.start();
    await driver.stop();
    const declared = new Set(simulatorSensors(config).map((s) => s.id));
    expect(declared.size).toBe(6);
    expect(new Set(context.readings.map((r) => r.sensorId))).toEqual(declared);
    // one-minute steps from (now − 30 min) floored to the minute, × 2 sites × (4 air + 1 traffic + 1 stop) metrics
    const steps = [...new Set(context.readings.map((r) => r.ts))].sort((a, b) => a - b);
    expect(steps.length).toBeGreaterThanOrEqual(30);
    expect(steps.length).toBeLessThanOrEqual(31);
    expect(steps.every((t, i) => i === 0 || t - steps[i - 1]! === 60_000)).toBe(true);
    expect(context.readings.length).toBe(steps.length * 2 * 6);
    expect(context.states.at(-1)).toBe('stopped');
  });

  it('signals are deterministic and stay in their physical ranges', () => {
    for (let ts = Date.UTC(2026, 10, 26); ts < Date.UTC(2026, 10, 27); ts += 600_000) {
      const input = { seed: 1, sensorId: 's', site: 2, lon: 28.979, ts };
      expect(SIGNALS.pm25!(input)).toBe(SIGNALS.pm25!({ ...input }));
      expect(SIGNALS.speed_ratio!(input)).toBeGreaterThanOrEqual(0.1);
      expect(SIGNALS.speed_ratio!(input)).toBeLessThanOrEqual(1);
      expect(SIGNALS.delay_s!(input)).toBeGreaterThanOrEqual(0);
      expect(SIGNALS.humidity!(input)).toBeLessThanOrEqual(100);
    }
  });
});
