import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// memory.js (built, as the gateway loads it) then the periodic full GC, in a child process each: the flags last
// for the life of a process. Forced major GCs are counted from perf_hooks' gc entries.
const probe = `
await import(${JSON.stringify(new URL('../dist/gateway/memory.js', import.meta.url).href)});
const { startPeriodicFullGc } = await import(${JSON.stringify(new URL('../dist/gateway/v8-memory-flags.js', import.meta.url).href)});
const { PerformanceObserver, constants } = await import('node:perf_hooks');
let forced = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) forced++;
  }
}).observe({ entryTypes: ['gc'] });
const timer = startPeriodicFullGc(20);
const started = Date.now();
const keep = setInterval(() => {
  if (forced >= 3 || Date.now() - started > (timer ? 10_000 : 300)) {
    clearInterval(keep);
    console.log(JSON.stringify({ started: timer !== null, forced, exposedToTheGateway: typeof globalThis.gc }));
  }
}, 10);
`;
function run(env: Record<string, string>) {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: new URL('..', import.meta.url), env: { ...process.env, ...env }, encoding: 'utf8',
  });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim());
}

describe('the periodic full GC (gateway/v8-memory-flags.ts)', () => {
  it('collects every interval with the memory settings on, without exposing gc() to the gateway\'s code', () => {
    const { started, forced, exposedToTheGateway } = run({ UCID_NODE_DEFAULT_MEMORY: '0' });
    expect({ started, exposedToTheGateway }).toEqual({ started: true, exposedToTheGateway: 'undefined' });
    expect(forced).toBeGreaterThanOrEqual(3);
  });

  it('does not run under UCID_NODE_DEFAULT_MEMORY=1', () => {
    expect(run({ UCID_NODE_DEFAULT_MEMORY: '1' })).toEqual({ started: false, forced: 0, exposedToTheGateway: 'undefined' });
  });
});
