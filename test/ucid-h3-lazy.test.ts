import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { parseUcid } from '../gateway/ucid/codec.js';
import { GatewayProcess, eventually } from './support/gateway-process.js';
import { MINUTE, alignedStart, publishSeries } from './support/http-harness.js';

/** Loaded into the gateway by --import: on exit, which h3-js files the main thread's module cache holds (workers have their own). */
const PROBE = `import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
const cache = createRequire(import.meta.url).cache;
if (isMainThread) process.on('exit', () => writeFileSync(process.env.H3_PROBE_OUT, JSON.stringify(Object.keys(cache).filter((f) => /[\\\\/]h3-js[\\\\/]/.test(f)))));
`;

describe('h3-js on the gateway thread', () => {
  it('is never loaded for registered sensors: the config thread places them and their UCID points, scores encode without it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-h3-lazy-'));
    const probe = path.join(dir, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const out = path.join(dir, 'h3-files.json');
    const sensors = [
      { id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' },
      { id: 'air-2', lat: 41.021, lon: 28.990, contexts: ['CLIMATE'], expectedInterval: '30s' },
    ];
    const gateway = await GatewayProcess.start({ sensors }, { dir, env: { NODE_OPTIONS: `--import ${probe}`, H3_PROBE_OUT: out } });
    const start = alignedStart(30);
    let stopped = false;
    try {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'h3-lazy' });
      for (const s of sensors) await publishSeries(client, `sensors/pm25/${s.id}`, start, 15, (ts) => 10 + ((ts - start) / MINUTE));
      await client.endAsync();
      const rows = await eventually(() => {
        const r = gateway.query<{ ucid: string; h3_index: string }>('SELECT ucid, h3_index FROM scores WHERE window_end = ?', start + 10 * MINUTE);
        return r.length === 2 ? r : null;
      });
      for (const row of rows) {
        const parsed = parseUcid(row.ucid);
        expect(parsed.h3Index).toBe(row.h3_index);
        expect(latLngToCell(parsed.lat, parsed.lon, parsed.h3Res)).toBe(row.h3_index);
      }
      expect(new Set(rows.map((r) => r.h3_index))).toEqual(new Set(sensors.map((s) => latLngToCell(s.lat, s.lon, 9))));
      stopped = true;
      expect(await gateway.stop()).toBe(0);
      const loaded = JSON.parse(readFileSync(out, "utf8")) as string[];
      expect(loaded).toEqual([]);
    } finally {
      if (!stopped) await gateway.stop();
    }
  });
});
