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

/** A driver type: `drivers/<type>/schema.ts` here, `drivers/<type>/driver.ts` in drivers/load-driver.ts. */
interface RegistryEntry {
  schema: z.ZodType;
  /** Sensors a driver declares itself (the simulator's virtual ones). */
  sensorsOf?(config: never): SensorDefinition[];
}

export const DRIVER_REGISTRY = {
  simulator: { schema: simulatorSchema, sensorsOf: simulatorSensors },
  mqtt: { schema: mqttSchema },
  modbus: { schema: modbusSchema },
  serial: { schema: serialSchema },
  opcua: { schema: opcuaSchema },
  'gtfs-rt': { schema: gtfsRtSchema, sensorsOf: gtfsRtSensors },
  http: { schema: httpSchema },
  'mqtt-bridge': { schema: mqttBridgeSchema },
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
