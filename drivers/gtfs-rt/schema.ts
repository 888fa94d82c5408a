import { cellToLatLng, latLngToCell } from 'h3-js';
import { z } from 'zod';
import { byteSize, duration } from '../../gateway/config/duration.js';
import { cityCode, contextName, type SensorDefinition } from '../../gateway/config/sensor.js';
import { apiKeySchema, httpUrl, pollBackoffSchema } from '../http/schema.js';
import { readStopsFile, type StopLocation } from './stops.js';

const MINUTE_MS = 60_000;

const stopSchema = z.strictObject({
  id: z.string().min(1),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  name: z.string().optional(),
});

/**
 * GTFS-Realtime feeds polled over HTTP (the UCID spec: HTTP/Protobuf, API key, 60 requests/min).
 * Stops come from `stops` and/or a GTFS `stopsFile` (absolute, or relative to the working directory), read
 * when the config is loaded so a missing file is a config error.
 */
export const gtfsRtSchema = z.strictObject({
  type: z.literal('gtfs-rt'),
  name: z.string().min(1).default('gtfs-rt'),
  /** Feed URLs (TripUpdates, VehiclePositions, or one feed with both); each is one request per poll. */
  feeds: z.array(httpUrl).min(1).max(8),
  apiKey: apiKeySchema.optional(),
  /** The provider's limit for all of this key's requests. */
  rateLimitPerMinute: z.number().int().min(1).default(60),
  interval: duration.prefault('30s'),
  timeout: duration.prefault('15s'),
  maxBytes: byteSize.prefault('16MiB'),
  backoff: pollBackoffSchema.prefault({ initial: '5s', max: '10m' }),
  downAfterFailures: z.number().int().min(1).default(3),
  stops: z.array(stopSchema).default([]),
  stopsFile: z.string().min(1).optional(),
  city: cityCode.optional(),
  /** Contexts the stop sensors feed; empty: every context scoring `delay_s`. */
  contexts: z.array(contextName).default([]),
  stopExpectedInterval: duration.prefault('15m'),
  /** Resolution of the `cell.<h3>` vehicle-count sensors; keep it equal to scoring.h3Resolution. */
  h3Resolution: z.number().int().min(0).max(15).default(9),
  /** How long a cell that had vehicles keeps getting a count (0 once they left). */
  zeroFillFor: duration.prefault('1h'),
}).superRefine((config, ctx) => {
  const minInterval = Math.ceil((config.feeds.length * MINUTE_MS) / config.rateLimitPerMinute);
  if (config.interval < minInterval) {
    ctx.addIssue({
      code: 'custom', path: ['interval'],
      message: `${config.feeds.length} feed(s) every ${config.interval} ms is over the rate limit of ${config.rateLimitPerMinute}/min: use at least ${minInterval} ms`,
    });
  }
}).transform((config, ctx) => {
  let fromFile: StopLocation[] = [];
  if (config.stopsFile) {
    try {
      fromFile = readStopsFile(config.stopsFile);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['stopsFile'], message: `cannot use ${config.stopsFile}: ${(err as Error).message}` });
      return z.NEVER;
    }
  }
  const byId = new Map<string, StopLocation>();
  for (const stop of [...fromFile, ...config.stops]) byId.set(stop.id, stop);
  return { ...config, stopLocations: [...byId.values()] };
});

export type GtfsRtConfig = z.output<typeof gtfsRtSchema>;

const SENSOR_ID_CHAR = /[^A-Za-z0-9._-]/g;

/** GTFS stop ids are free text; sensor ids are not (DESIGN §3), so other characters become `_`. */
export function stopSensorId(stopId: string): string {
  return `stop.${stopId.replace(SENSOR_ID_CHAR, '_')}`.slice(0, 128);
}

export function cellSensorId(cell: string): string {
  return `cell.${cell}`;
}

/** Each stop is a `delay_s` sensor; each cell holding a stop is a `vehicle_count` sensor at the cell centre. */
export function gtfsRtSensors(config: GtfsRtConfig): SensorDefinition[] {
  const sensors: SensorDefinition[] = [];
  const cells = new Set<string>();
  for (const stop of config.stopLocations) {
    sensors.push({
      id: stopSensorId(stop.id), lat: stop.lat, lon: stop.lon, city: config.city, contexts: config.contexts,
      expectedInterval: config.stopExpectedInterval, name: stop.name ?? `stop ${stop.id}`,
    });
    cells.add(latLngToCell(stop.lat, stop.lon, config.h3Resolution));
  }
  for (const cell of cells) {
    const [lat, lon] = cellToLatLng(cell);
    sensors.push({ id: cellSensorId(cell), lat, lon, city: config.city, contexts: config.contexts, expectedInterval: config.stopExpectedInterval, name: `vehicles in ${cell}` });
  }
  return sensors;
}
