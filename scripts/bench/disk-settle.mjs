// Deleting a big file on a disk mounted with `discard` (this machine's root) stalls fsyncs for a while after:
// 400 MB deleted, then syncs of up to 360 ms for ~20 s; a few GB, minutes of syncs up to 0.5 s between calm
// stretches of several seconds (docs/benchmarks.md "The disk between runs"). A run that starts then measures the
// last run's clean-up, so the gateways' data directories go when the script exits, and each script waits for
// 10 s without a slow fsync before its first gateway starts.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const toRemove = new Set();
process.on('exit', () => {
  for (const dir of toRemove) rmSync(dir, { recursive: true, force: true });
});
// interrupted (Ctrl-C), a script still removes them: 'exit' runs on process.exit, not on a signal's default
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) process.once(signal, () => process.exit(code));

/** `dir` is deleted when this process exits, not now. */
export function removeAtExit(dir) {
  toRemove.add(dir);
}

/**
 * Appends 16 KiB and fdatasyncs ~300 times a second in a scratch file under `dir` until `calmMs` pass with no
 * sync over `slowMs` (at most `maxMs`); how long that took and the slow syncs seen.
 */
export function settleDisk({ dir = tmpdir(), calmMs = 10_000, maxMs = 180_000, slowMs = 10 } = {}) {
  const scratch = mkdtempSync(path.join(dir, 'ucid-settle-'));
  const fd = openSync(path.join(scratch, 'probe'), 'w');
  const frame = Buffer.alloc(16 * 1024, 7);
  const started = performance.now();
  let calmSince = started;
  let slow = 0;
  try {
    for (let n = 0; performance.now() - calmSince < calmMs && performance.now() - started < maxMs; n++) {
      const at = performance.now();
      writeSync(fd, frame, 0, frame.length, (n % 64) * frame.length);
      fdatasyncSync(fd);
      const now = performance.now();
      if (now - at > slowMs) {
        slow++;
        calmSince = now;
      }
      while (performance.now() - at < 3); // ~300 a second, as a gateway's commits at a high rate
    }
  } finally {
    closeSync(fd);
    rmSync(scratch, { recursive: true, force: true });
  }
  return { waitedMs: performance.now() - started, slowSyncs: slow, calm: performance.now() - calmSince >= calmMs };
}

let settled = null;
/** Once per process, before its first gateway: the disk as calm as it gets (a line on stderr says how long). */
export function settleDiskOnce() {
  if (!settled) {
    const r = settleDisk();
    process.stderr.write(`disk: ${r.calm ? 'calm' : 'still not calm'} after ${(r.waitedMs / 1000).toFixed(1)} s (${r.slowSyncs} fsyncs over 10 ms)\n`);
    settled = r;
  }
  return settled;
}
