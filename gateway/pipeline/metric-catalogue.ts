import type { MetricSpec } from '../config/schema.js';

/** Built-in metrics; `ingest.metrics` in the config adds to or overrides these. */
export const BUILTIN_METRICS: Record<string, MetricSpec> = {
  pm25: { unit: 'ugm3', aliases: ['µg/m³', 'ug/m3', 'ug/m^3', 'μg/m³'], min: 0, max: 2000 },
  pm10: { unit: 'ugm3', aliases: ['µg/m³', 'ug/m3', 'ug/m^3', 'μg/m³'], min: 0, max: 3000 },
  no2: { unit: 'ugm3', aliases: ['µg/m³', 'ug/m3', 'ug/m^3', 'μg/m³'], min: 0, max: 2000 },
  o3: { unit: 'ugm3', aliases: ['µg/m³', 'ug/m3', 'ug/m^3', 'μg/m³'], min: 0, max: 1000 },
  temperature: { unit: 'C', aliases: ['°C', 'degC', 'celsius'], min: -60, max: 70 },
  humidity: { unit: 'pct', aliases: ['%', 'percent', '%RH'], min: 0, max: 100 },
  pressure: { unit: 'hPa', aliases: ['mbar'], min: 800, max: 1100 },
  noise_db: { unit: 'dBA', aliases: ['dB', 'dB(A)'], min: 0, max: 160 },
  speed_ratio: { unit: 'ratio', aliases: ['1', ''], min: 0, max: 3 },
  speed_kmh: { unit: 'km/h', aliases: ['kmh', 'kph'], min: 0, max: 300 },
  delay_s: { unit: 's', aliases: ['sec', 'seconds'], min: -3600, max: 86_400 },
  vehicle_count: { unit: 'count', aliases: ['1', ''], min: 0, max: 1_000_000 },
  occupancy: { unit: 'pct', aliases: ['%', 'percent'], min: 0, max: 100 },
};

/** Converts the few units that differ by formula, not by name, into the canonical unit. */
const CONVERSIONS: Partial<Record<string, Partial<Record<string, (value: number) => number>>>> = {
  C: { F: (f) => ((f - 32) * 5) / 9, '°F': (f) => ((f - 32) * 5) / 9, K: (k) => k - 273.15 },
  's': { ms: (ms) => ms / 1000, min: (m) => m * 60 },
  'km/h': { 'm/s': (v) => v * 3.6, mph: (v) => v * 1.609344 },
};

export interface UnitResolution {
  unit: string;
  convert: ((value: number) => number) | null;
}

/** Resolves a device's unit to the metric's canonical unit, or null when it cannot be. */
export function resolveUnit(spec: MetricSpec, unit: string | undefined): UnitResolution | null {
  if (unit === undefined || unit === spec.unit || spec.aliases.includes(unit)) return { unit: spec.unit, convert: null };
  const convert = CONVERSIONS[spec.unit]?.[unit];
  return convert ? { unit: spec.unit, convert } : null;
}
