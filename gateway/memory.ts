/**
 * Memory settings for a Pi-class box, applied before anything else loads (the first import of cli.ts).
 * Measured in docs/benchmarks.md ("Footprint"): at 1,000 sensors at 1 Hz, RSS 141 → ~95 MiB on x86-64.
 *
 * - V8 `--optimize-for-size`: a smaller heap growing factor, so old-space garbage is collected before the heap
 *   grows (the default sizes the heap for a machine with plenty of memory); CPU cost within run-to-run noise.
 * - mqtt-packet's 65,536 pre-built 2-byte buffers for packet ids (~6 MiB of heap, made on the first packet):
 *   off; a PUBACK allocates its 2 bytes instead.
 *
 * UCID_NODE_DEFAULT_MEMORY=1 leaves both at Node's defaults (to compare).
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';

if (process.env.UCID_NODE_DEFAULT_MEMORY !== '1') {
  v8.setFlagsFromString('--optimize-for-size');
  const mqttPacket = createRequire(import.meta.url)('mqtt-packet') as { writeToStream: { cacheNumbers: boolean } };
  mqttPacket.writeToStream.cacheNumbers = false;
}
