import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// memory.ts (built, as the gateway loads it) swaps the loggers before mqtt-packet loads: a child process each,
// as the swap lasts for the life of a process.
const probe = `
await import(${JSON.stringify(new URL('../dist/gateway/memory.js', import.meta.url).href)});
const { createRequire } = await import('node:module');
const debug = createRequire(createRequire(import.meta.url).resolve('mqtt-packet'))('debug');
const parser = debug('mqtt-packet:parser');
parser('parsed %d', 7);
parser.extend('deep')('deeper %d', 8);
// the package's own loggers carry a colour; the swapped ones do not
console.log(JSON.stringify({ enabled: parser.enabled, packageLogger: 'color' in parser, deepEnabled: parser.extend('deep').enabled }));
`;
function run(debugNamespaces: string) {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: new URL('..', import.meta.url), env: { ...process.env, DEBUG: debugNamespaces, DEBUG_COLORS: '0' }, encoding: 'utf8',
  });
  expect(child.status, child.stderr).toBe(0);
  return { ...JSON.parse(child.stdout.trim()), stderr: child.stderr };
}

describe('debug loggers DEBUG leaves off', () => {
  it('are swapped for ones that take no arguments and print nothing', () => {
    expect(run('')).toEqual({ enabled: false, packageLogger: false, deepEnabled: false, stderr: '' });
  });

  it('are the real ones when DEBUG turns their namespace on', () => {
    const { enabled, packageLogger, deepEnabled, stderr } = run('mqtt-packet:*');
    expect({ enabled, packageLogger, deepEnabled }).toEqual({ enabled: true, packageLogger: true, deepEnabled: true });
    expect(stderr).toContain('mqtt-packet:parser parsed 7');
    expect(stderr).toContain('mqtt-packet:parser:deep deeper 8');
  });
});
