import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadDriver } from '../drivers/load-driver.js';
import { driverConfigSchema } from '../drivers/registry.js';

const loaded = (pkg: string) => Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes(`/node_modules/${pkg}/`));

describe('lazy loading of the field-bus libraries', () => {
  it('validating modbus and serial configs loads neither modbus-serial nor serialport; loading the driver does', async () => {
    driverConfigSchema.parse({ type: 'modbus', connection: { transport: 'tcp', host: 'plc' }, devices: [{ unitId: 1, sensorId: 's', registers: [{ metric: 'v', address: 0 }] }] });
    driverConfigSchema.parse({ type: 'serial', path: '/dev/ttyUSB0', sensorId: 's', format: { kind: 'sds011' } });
    expect(loaded('modbus-serial')).toBe(false);
    expect(loaded('serialport')).toBe(false);
    await loadDriver('serial');
    expect(loaded('serialport')).toBe(true);
    expect(loaded('modbus-serial')).toBe(false);
    await loadDriver('modbus');
    expect(loaded('modbus-serial')).toBe(true);
  });
});

describe('docs/drivers-modbus-serial.md', () => {
  it('its example config is valid', () => {
    const doc = readFileSync('docs/drivers-modbus-serial.md', 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const { drivers } = parseYaml(yaml) as { drivers: unknown[] };
    const parsed = drivers.map((d) => driverConfigSchema.parse(d));
    expect(parsed.map((d) => d.type)).toEqual(['modbus', 'modbus', 'serial', 'serial', 'serial', 'serial']);
  });
});
