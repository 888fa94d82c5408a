/** Deterministic synthetic urban signals: the same (seed, sensor, time) always gives the same value. */

const HOUR_MS = 3_600_000;

function hash32(text: string, seed: number): number {
  let h = (2_166_136_261 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16_777_619) >>> 0;
  return h;
}

/** Uniform noise in [-1, 1) keyed by sensor and time. */
function noise(seed: number, key: string, ts: number): number {
  let x = hash32(key, seed) ^ Math.floor(ts / 1000);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2_147_483_648 - 1;
}

/** Local solar hour of day from longitude (no time-zone tables needed for a demo). */
function solarHour(ts: number, lon: number): number {
  return (((ts / HOUR_MS + lon / 15) % 24) + 24) % 24;
}

/** Morning and evening peaks, 0–1. */
function rushHour(hour: number): number {
  return Math.exp(-((hour - 8.5) ** 2) / 2) + Math.exp(-((hour - 18) ** 2) / 2);
}

export interface SignalInput {
  seed: number;
  sensorId: string;
  site: number;
  lon: number;
  ts: number;
}

export const SIGNALS: Record<string, (input: SignalInput) => number> = {
  pm25: ({ seed, sensorId, site, lon, ts }) => {
    const h = solarHour(ts, lon);
    return Math.max(0, 9 + 4 * site + 28 * rushHour(h) + 5 * Math.sin((2 * Math.PI * (h - 4)) / 24) + 3 * noise(seed, sensorId + 'pm25', ts));
  },
  no2: ({ seed, sensorId, site, lon, ts }) =>
    Math.max(0, 18 + 6 * site + 45 * rushHour(solarHour(ts, lon)) + 5 * noise(seed, sensorId + 'no2', ts)),
  temperature: ({ seed, sensorId, lon, ts }) =>
    16 + 7 * Math.sin((2 * Math.PI * (solarHour(ts, lon) - 9)) / 24) + 0.4 * noise(seed, sensorId + 'temperature', ts),
  humidity: ({ seed, sensorId, lon, ts }) =>
    Math.min(100, Math.max(0, 62 - 15 * Math.sin((2 * Math.PI * (solarHour(ts, lon) - 9)) / 24) + 2 * noise(seed, sensorId + 'humidity', ts))),
  speed_ratio: ({ seed, sensorId, site, lon, ts }) =>
    Math.min(1, Math.max(0.1, 0.92 - 0.05 * site - 0.5 * rushHour(solarHour(ts, lon)) + 0.05 * noise(seed, sensorId + 'speed', ts))),
  delay_s: ({ seed, sensorId, site, lon, ts }) =>
    Math.max(0, 25 + 20 * site + 320 * rushHour(solarHour(ts, lon)) + 30 * noise(seed, sensorId + 'delay', ts)),
};

export const SIGNAL_UNITS: Record<string, string> = {
  pm25: 'ugm3', no2: 'ugm3', temperature: 'C', humidity: 'pct', speed_ratio: 'ratio', delay_s: 's',
};
