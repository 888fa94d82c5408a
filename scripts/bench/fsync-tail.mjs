// `node scripts/bench/fsync-tail.mjs [syncs/s] [KiB] [seconds] [dir]`: the disk's own commit tail, without the
// gateway. Appends KiB (default 16, a commit's WAL frames) and fdatasyncs, syncs/s times a second (default 200)
// for the given seconds (default 20), in a new file under dir (default the OS temp dir: point it at the data
// directory's disk). If this tail is long, so is every acknowledged reading's (docs/operations.md).
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [rate = 200, kib = 16, seconds = 20] = process.argv.slice(2, 5).map(Number);
const dir = mkdtempSync(path.join(process.argv[5] ?? tmpdir(), 'ucid-fsync-'));
const fd = openSync(path.join(dir, 'wal'), 'w');
const frame = Buffer.alloc(kib * 1024, 7);
const took = [];
const start = performance.now();
try {
  for (let n = 0; performance.now() - start < seconds * 1000; n++) {
    const due = start + (n * 1000) / rate;
    while (performance.now() < due); // paced by spinning: a timer's own lateness would be in the figures
    const at = performance.now();
    writeSync(fd, frame);
    fdatasyncSync(fd);
    took.push(performance.now() - at);
  }
} finally {
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
}
took.sort((a, b) => a - b);
const q = (p) => took[Math.floor(p * (took.length - 1))].toFixed(2);
const over = (ms) => took.filter((t) => t > ms).length;
console.log(`${took.length} syncs at ${rate}/s of ${kib} KiB: p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} p99.9 ${q(0.999)} max ${q(1)} ms; ` +
  `over 5 ms ${over(5)}, over 10 ms ${over(10)}, over 25 ms ${over(25)}`);
