import { describe, expect, it } from 'vitest';
import { loadDriver } from './load-driver.js';
import { DRIVER_REGISTRY, type DriverType } from './registry.js';

describe('loadDriver', () => {
  it('finds drivers/<type>/driver for every type in the registry, each with a createDriver', async () => {
    for (const type of Object.keys(DRIVER_REGISTRY) as DriverType[]) {
      const module = await loadDriver(type);
      expect(typeof module.createDriver, type).toBe('function');
    }
  });

  it('refuses a type with no folder', async () => {
    await expect(loadDriver('nope' as DriverType)).rejects.toThrow(/nope/);
  });
});
