import { z } from 'zod';
import { duration } from './duration.js';

export const cityCode = z.string().regex(/^[A-Z]{3}$/, 'expected a 3-letter UCID city code such as IST');
export const contextName = z.string().regex(/^[A-Z0-9]{1,8}$/, 'expected a context name of 1-8 characters A-Z 0-9');
export const sensorId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expected a sensor id of letters, digits, . _ -');
export const metricName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected a metric name of lowercase letters, digits and _');

/** A sensor registry entry (DESIGN §3). `city` defaults to the gateway's city when left out. */
export const sensorSchema = z.strictObject({
  id: sensorId,
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  city: cityCode.optional(),
  /** Contexts it feeds; empty means every context whose scoring rule uses one of its metrics. */
  contexts: z.array(contextName).default([]),
  expectedInterval: duration.prefault('1m'),
  name: z.string().optional(),
});

export type SensorDefinition = z.output<typeof sensorSchema>;
