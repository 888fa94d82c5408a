import { z } from 'zod';
import { duration } from '../../gateway/config/duration.js';
import type { SensorDefinition } from '../../gateway/config/sensor.js';
import { cityCode } from '../../gateway/config/sensor.js';

/** The demo's data: `sites` street corners around `centre`, each with an air, a traffic and a transit-stop sensor. */
export const simulatorSchema = z.strictObject({
  type: z.literal('simulator'),
  name: z.string().min(1).default('simulator'),
  city: cityCode.optional(),
  centre: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).default({ lat: 41.015, lon: 28.979 }),
  sites: z.number().int().min(1).max(10_000).default(3),
  /** Distance between neighbouring sites, metres. */
  spacingM: z.number().positive().default(600),
  interval: duration.prefault('10s'),
  /** History published at start with past event times, through the same path. */
  backfill: duration.prefault('1h'),
  /** `mqtt` publishes to the embedded broker like a real sensor; `direct` submits to the pipeline. */
  via: z.enum(['mqtt', 'direct']).default('mqtt'),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  seed: z.number().int().default(1),
});

export type SimulatorConfig = z.output<typeof simulatorSchema>;

export const SIMULATED_SENSORS = [
  { kind: 'air', metrics: ['pm25', 'no2', 'temperature', 'humidity'] },
  { kind: 'traffic', metrics: ['speed_ratio'] },
  { kind: 'stop', metrics: ['delay_s'] },
] as const;

const METRES_PER_DEGREE_LAT = 111_320;

/** Sites on a square spiral-free grid around the centre, row by row. */
export function siteLocation(config: SimulatorConfig, site: number): { lat: number; lon: number } {
  const side = Math.ceil(Math.sqrt(config.sites));
  const row = Math.floor(site / side) - Math.floor(side / 2);
  const col = (site % side) - Math.floor(side / 2);
  const dLat = (row * config.spacingM) / METRES_PER_DEGREE_LAT;
  const dLon = (col * config.spacingM) / (METRES_PER_DEGREE_LAT * Math.cos((config.centre.lat * Math.PI) / 180));
  return { lat: config.centre.lat + dLat, lon: config.centre.lon + dLon };
}

export function simulatedSensorId(config: SimulatorConfig, kind: string, site: number): string {
  return `${config.name}-${kind}-${site + 1}`;
}

export function simulatorSensors(config: SimulatorConfig): SensorDefinition[] {
  const sensors: SensorDefinition[] = [];
  for (let site = 0; site < config.sites; site++) {
    const at = siteLocation(config, site);
    for (const sensor of SIMULATED_SENSORS) {
      sensors.push({
        id: simulatedSensorId(config, sensor.kind, site),
        lat: at.lat,
        lon: at.lon,
        city: config.city,
        contexts: [],
        expectedInterval: config.interval,
        name: `simulated ${sensor.kind} sensor, site ${site + 1}`,
      });
    }
  }
  return sensors;
}
