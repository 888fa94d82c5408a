/**
 * V8 optimises a function once it has run an "interrupt budget" of bytecode (V8 11's default: 66 KiB). Fresh MQTT
 * connections bring objects of new shapes, and V8 drops the optimised code of mqtt-packet's parser, aedes' batch loop
 * and the socket writes ("wrong map"); at a high rate the time until they are optimised again is the tail of the
 * first second (docs/benchmarks.md "Latency at half the maximum rate"). With 16 KiB they are sooner: the PUBACK p99
 * of a paced 8,000 msg/s run was lower in 9 of 11 interleaved pairs (equal in one); peak rate, CPU and RSS within
 * noise.
 * UCID_V8_INTERRUPT_BUDGET=<bytes> sets another budget; 0 leaves V8's own.
 */
import v8 from 'node:v8';

const DEFAULT_INTERRUPT_BUDGET_BYTES = 16_384;

const raw = process.env.UCID_V8_INTERRUPT_BUDGET;
const budget = raw === undefined || raw === '' ? DEFAULT_INTERRUPT_BUDGET_BYTES : Number(raw);
if (!Number.isInteger(budget) || budget < 0) {
  process.stderr.write(`UCID_V8_INTERRUPT_BUDGET: expected a whole number of bytes (0 leaves V8's own), not "${raw}"\n`);
  process.exit(1);
}
if (budget > 0) v8.setFlagsFromString(`--interrupt-budget=${budget}`);
