import v8 from 'node:v8';

let mode: 'node-defaults' | 'start-up' | 'steady' = 'node-defaults';

/** The V8 half of gateway/memory.ts (the reasons are there). */
export function applyV8MemoryFlags(): void {
  mode = 'steady';
  v8.setFlagsFromString('--optimize-for-size');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Until ready, V8's defaults: with the memory flags the start-up replay took ~1.5× as long (more mark-compacts
 * and scavenges while the heap grows; docs/operations.md "Start-up time"). A no-op under UCID_NODE_DEFAULT_MEMORY.
 */
export function relaxV8MemoryFlagsForStartUp(): void {
  if (mode !== 'steady') return;
  mode = 'start-up';
  v8.setFlagsFromString('--no-optimize-for-size');
  v8.setFlagsFromString('--semi-space-growth-factor=2');
}

/** Back to the steady-state flags once ready (a no-op unless relaxed). */
export function restoreV8MemoryFlags(): void {
  if (mode === 'start-up') applyV8MemoryFlags();
}

/**
 * V8 raises a semi-space growth factor below 2 back to 2 whenever it configures an isolate, a Worker's included
 * (the main isolate's young generation then grew to 4 MiB semi-spaces): call once a worker thread is online.
 */
export function reapplyV8MemoryFlags(): void {
  if (mode === 'steady') applyV8MemoryFlags();
}
