import type { DriverModule, DriverType } from './registry.js';

/**
 * Each driver's code, imported only when a configured instance needs it (start-up time and RSS on a Pi: the
 * field-bus libraries load with it). Apart from the registry, which holds the config schemas: those stay in the
 * config loader's worker (gateway/config/isolated.ts). A type missing here does not compile.
 */
const DRIVERS: Record<DriverType, () => Promise<DriverModule>> = {
  simulator: () => import('./simulator/driver.js'),
  mqtt: () => import('./mqtt/driver.js'),
  modbus: () => import('./modbus/driver.js'),
  serial: () => import('./serial/driver.js'),
  opcua: () => import('./opcua/driver.js'),
  'gtfs-rt': () => import('./gtfs-rt/driver.js'),
  http: () => import('./http/driver.js'),
  'mqtt-bridge': () => import('./mqtt-bridge/driver.js'),
};

export function loadDriver(type: DriverType): Promise<DriverModule> {
  const load = DRIVERS[type];
  return load ? load() : Promise.reject(new Error(`no driver of type "${type}"`));
}
