import v8 from 'node:v8';

let mode: 'node-defaults' | 'start-up' | 'steady' = 'node-defaults';

/** The V8 half of gateway/memory.ts (the reasons are there). */
export function applyV8MemoryFlags(): void {
  mode = 'steady';
  v8.setFlagsFromString('--optimize-for-size');
}

/**
 * Until ready, V8's defaults: with the memory flag the start-up replay took ~1.5× as long (more mark-compacts
 * and scavenges while the heap grows; docs/operations.md "Start-up time"). A no-op under UCID_NODE_DEFAULT_MEMORY.
 */
export function relaxV8MemoryFlagsForStartUp(): void {
  if (mode !== 'steady') return;
  mode = 'start-up';
  v8.setFlagsFromString('--no-optimize-for-size');
}

/** Back to the steady-state flag once ready (a no-op unless relaxed). */
export function restoreV8MemoryFlags(): void {
  if (mode === 'start-up') applyV8MemoryFlags();
}
