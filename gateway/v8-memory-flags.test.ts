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
/** Runs `source` as an ES module in a fresh node with `env`; the JSON it printed. */
function runProbe(source: string, env: Record<string, string>) {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: new URL('..', import.meta.url), env: { ...process.env, ...env }, encoding: 'utf8',
  });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim());
}
const run = (env: Record<string, string>) => runProbe(probe, env);

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

// 300 functions run once (as start-up code is: the config schema, the migrations, the CLI), then garbage that
// reaches the old space until V8 has run 6 major GCs of its own (a forced gc() leaves bytecode ages alone): V8's
// bytecode and metadata after each. --optimize-for-size in both runs, so the major GCs come within a second.
const flushProbe = `
if (process.env.UCID_NODE_DEFAULT_MEMORY !== '1') await import(${JSON.stringify(new URL('../dist/gateway/memory.js', import.meta.url).href)});
const v8 = await import('node:v8');
const { PerformanceObserver, constants } = await import('node:perf_hooks');
v8.setFlagsFromString('--optimize-for-size');
const bytecode = () => v8.getHeapCodeStatistics().bytecode_and_metadata_size;
let majors = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
}).observe({ entryTypes: ['gc'] });
const once = [];
for (let i = 0; i < 300; i++) once.push(new Function('a', 'let s = a; for (let j = 0; j < 10; j++) s = (s * 31 + j + ' + i + ') % 1000003; return [s, a + ' + i + ', { v: s }];'));
for (const f of once) f(1);
const ring = new Array(4096);
let n = 0;
const afterMajor = [];
await new Promise((resolve) => {
  const step = () => {
    for (let k = 0; k < 200; k++) ring[n++ % 4096] = new Array(1000).fill(n);
    if (afterMajor.length < majors) afterMajor.push(bytecode());
    if (majors >= 6) resolve(); else setImmediate(step);
  };
  step();
});
console.log(JSON.stringify({ afterMajor, kept: once.length }));
`;
const bytecodeAfterMajorGcs = (env: Record<string, string>): number[] => runProbe(flushProbe, env).afterMajor;

describe('bytecode flushing (gateway/v8-memory-flags.ts)', () => {
  it('drops the bytecode of code not run for 2 major GCs with the memory settings on, for 5 with Node\'s defaults', () => {
    const tuned = bytecodeAfterMajorGcs({ UCID_NODE_DEFAULT_MEMORY: '0' });
    const defaults = bytecodeAfterMajorGcs({ UCID_NODE_DEFAULT_MEMORY: '1' });
    expect(tuned[2]).toBeLessThan(tuned[0] * 0.5);
    expect(defaults[2]).toBeGreaterThan(defaults[0] * 0.9);
    expect(defaults[5]).toBeLessThan(defaults[0] * 0.5);
  });
});
