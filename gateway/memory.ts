/**
 * Memory settings for a Pi-class box, applied before anything else loads (the first import of cli.ts).
 * Measured in docs/benchmarks.md ("Footprint"): at 1,000 sensors at 1 Hz, RSS 131 → ~90 MiB on x86-64.
 *
 * - V8 `--optimize-for-size`: a smaller heap growing factor, so old-space garbage is collected before the heap
 *   grows (the default sizes the heap for a machine with plenty of memory); CPU cost within run-to-run noise.
 * - Once ready, no Sparkplug (baseline code; TurboFan still optimises the hot code), baseline code flushed, and the
 *   bytecode of code not run for 2 of V8's major GCs flushed (5 by default): with SQLite's smaller page cache
 *   (store/database.ts) ~5 MiB less at 1,000 sensors at 1 Hz, CPU within noise (docs/benchmarks.md
 *   "2026-11-28 10:32").
 * - Not `--semi-space-growth-factor=1` (1 MiB semi-spaces, 2–6 MiB less): with a scavenge every ~3 ms at a
 *   high rate, readings waiting for their commit were promoted, and the peak QoS 1 rate was ~30 % lower
 *   (docs/benchmarks.md "Memory against throughput").
 * - mqtt-packet's 65,536 pre-built 2-byte buffers for packet ids (~6 MiB of heap, made on the first packet):
 *   off; a PUBACK allocates its 2 bytes instead.
 * - The `debug` package's loggers that DEBUG leaves off: no arguments array a call (gateway/quiet-debug.ts).
 * - Once ready, a full GC every 10 s (cli.ts, `startPeriodicFullGc`): ~4 MiB less at 1,000 sensors at 1 Hz for
 *   ~2 % of a core.
 *
 * UCID_NODE_DEFAULT_MEMORY=1 leaves all of them at Node's defaults (to compare).
 */
import { createRequire } from 'node:module';
import { applyV8MemoryFlags } from './v8-memory-flags.js';
import { quietDisabledDebugLoggers } from './quiet-debug.js';

if (process.env.UCID_NODE_DEFAULT_MEMORY !== '1') {
  applyV8MemoryFlags();
  const require = createRequire(import.meta.url);
  quietDisabledDebugLoggers(require.resolve('mqtt-packet'));
  const mqttPacket = require('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
  mqttPacket.writeToStream.cacheNumbers = false;
}
