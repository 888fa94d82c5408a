import v8 from 'node:v8';

let applied = false;

/** The V8 half of gateway/memory.ts (the reasons are there). */
export function applyV8MemoryFlags(): void {
  applied = true;
  v8.setFlagsFromString('--optimize-for-size');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * V8 raises a semi-space growth factor below 2 back to 2 whenever it configures an isolate, a Worker's included
 * (the main isolate's young generation then grew to 4 MiB semi-spaces): call once a worker thread is online.
 */
export function reapplyV8MemoryFlags(): void {
  if (applied) applyV8MemoryFlags();
}
