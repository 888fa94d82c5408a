import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let mode: 'node-defaults' | 'start-up' | 'steady' = 'node-defaults';

/** The V8 half of gateway/memory.ts (the reasons are there). */
export function applyV8MemoryFlags(): void {
  mode = 'steady';
  for (const flag of ['--optimize-for-size', '--no-sparkplug', '--flush-baseline-code', '--bytecode-old-age=2']) v8.setFlagsFromString(flag);
}

/**
 * Until ready, V8's defaults for the heap and the baseline compiler: with the memory flag the start-up replay took
 * ~1.5× as long (more mark-compacts and scavenges while the heap grows; docs/operations.md "Start-up time"). A
 * no-op under UCID_NODE_DEFAULT_MEMORY.
 */
export function relaxV8MemoryFlagsForStartUp(): void {
  if (mode !== 'steady') return;
  mode = 'start-up';
  for (const flag of ['--no-optimize-for-size', '--sparkplug']) v8.setFlagsFromString(flag);
}

/** Back to the steady-state flag once ready (a no-op unless relaxed). */
export function restoreV8MemoryFlags(): void {
  if (mode === 'start-up') applyV8MemoryFlags();
}

/** How often `startPeriodicFullGc` collects, ms. */
export const FULL_GC_INTERVAL_MS = 10_000;

/**
 * A full GC every `intervalMs` once ready (a no-op under UCID_NODE_DEFAULT_MEMORY). At a steady load V8 lets the
 * old space fill with garbage up to its next limit before it collects; collecting every 10 s keeps it near the
 * live size: at 1,000 readings/s 3–5 MiB less RSS for ~2 % of a core, a ~20 ms pause each time
 * (docs/benchmarks.md "2026-11-28 09:38–10:12"). V8's `gc` is taken from a fresh `vm` context, so the gateway's
 * globals still have none.
 */
export function startPeriodicFullGc(intervalMs = FULL_GC_INTERVAL_MS): NodeJS.Timeout | null {
  if (mode !== 'steady') return null;
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return setInterval(gc, intervalMs).unref();
}
