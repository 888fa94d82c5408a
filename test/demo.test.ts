import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseUcid } from '../gateway/ucid/codec.js';
import { CLI, GatewayProcess, eventually } from './support/gateway-process.js';

const run = promisify(execFile);

const portFree = (port: number) => new Promise<boolean>((resolve) => {
  const server = createServer().once('error', () => resolve(false)).listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
});

describe('the demo: no config at all', () => {
  it('backfills through the broker and `ucid-gateway scores` prints valid UCID-V1 strings for both contexts', async () => {
    expect(await portFree(1883)).toBe(true);
    expect(await portFree(8080)).toBe(true);
    const cwd = mkdtempSync(path.join(tmpdir(), 'ucid-demo-'));
    const env = { UCID_GATEWAY_CONFIG: '', CONFIGURATION_DIRECTORY: '', STATE_DIRECTORY: '' };
    const gateway = await GatewayProcess.spawn(['start'], path.join(cwd, 'data'), '', env, cwd);
    try {
      expect(gateway.mqttPort).toBe(1883);
      const lines = await eventually(async () => {
        const { stdout } = await run(process.execPath, [CLI, 'scores'], { cwd, env: { ...process.env, ...env } });
        const ucids = stdout.split('\n').filter((l) => l.startsWith('UCID-V1:'));
        const contexts = new Set(ucids.map((l) => parseUcid(l.split(/\s+/)[0]!).context));
        return contexts.has('CLIMATE') && contexts.has('TRANSIT') ? ucids : null;
      }, 30_000, 500);
      for (const line of lines) {
        const parsed = parseUcid(line.split(/\s+/)[0]!);
        expect(parsed.city).toBe('IST');
        expect(parsed.h3Res).toBe(9);
      }
      // three simulated corners, each scored in both contexts
      expect(new Set(lines.map((l) => l.split(':')[5])).size).toBe(3);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});
