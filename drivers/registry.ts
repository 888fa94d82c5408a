import { z } from 'zod';
import type { DriverFactory } from './driver.js';
import { simulatorSchema, simulatorSensors } from './simulator/schema.js';
import { mqttSchema } from './mqtt/schema.js';
import { modbusSchema } from './modbus/schema.js';
import { serialSchema } from './serial/schema.js';
import { opcuaSchema } from './opcua/schema.js';
import { gtfsRtSchema, gtfsRtSensors } from './gtfs-rt/schema.js';
import { httpSchema } from './http/schema.js';
import { mqttBridgeSchema } from './mqtt-bridge/schema.js';
import type { SensorDefinition } from '../gateway/config/sensor.js';

export interface DriverModule {
  createDriver: DriverFactory<never>;
}

interface RegistryEntry {
  schema: z.ZodType;
  /** Imported only when a configured instance needs it (start-up time and RSS on a Pi). */
  load(): Promise<DriverModule>;
  /** Sensors a driver declares itself (the simulator's virtual ones). */
  sensorsOf?(config: never): SensorDefinition[];
}

export const DRIVER_REGISTRY = {
  simulator: { schema: simulatorSchema, load: () => import('./simulator/driver.js'), sensorsOf: simulatorSensors },
  mqtt: { schema: mqttSchema, load: () => import('./mqtt/driver.js') },
  modbus: { schema: modbusSchema, load: () => import('./modbus/driver.js') },
  serial: { schema: serialSchema, load: () => import('./serial/driver.js') },
  opcua: { schema: opcuaSchema, load: () => import('./opcua/driver.js') },
  'gtfs-rt': { schema: gtfsRtSchema, load: () => import('./gtfs-rt/driver.js'), sensorsOf: gtfsRtSensors },
  http: { schema: httpSchema, load: () => import('./http/driver.js') },
  'mqtt-bridge': { schema: mqttBridgeSchema, load: () => import('./mqtt-bridge/driver.js') },
} satisfies Record<string, RegistryEntry>;

export type DriverType = keyof typeof DRIVER_REGISTRY;

const schemas = Object.values(DRIVER_REGISTRY).map((entry) => entry.schema) as unknown as [
  typeof simulatorSchema,
  typeof mqttSchema,
  typeof modbusSchema,
  typeof serialSchema,
  typeof opcuaSchema,
  typeof gtfsRtSchema,
  typeof httpSchema,
  typeof mqttBridgeSchema,
];

export const driverConfigSchema = z.discriminatedUnion('type', schemas);
export type DriverConfig = z.output<typeof driverConfigSchema>;
