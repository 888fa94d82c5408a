// Loaded into the gateway by latency-probe.mjs (--import): GC pauses and event-loop stalls with wall-clock
// times, written to LATENCY_PROBE_OUT at exit, so the probe can line them up with slow PUBACKs.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const out = process.env.LATENCY_PROBE_OUT;
if (isMainThread && out) {
  const origin = performance.timeOrigin;
  const gc = [];
  const stalls = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push([origin + e.startTime, e.duration, e.detail?.kind]);
  }).observe({ entryTypes: ['gc'] });
  // a 2 ms timer that ran more than 12 ms late: the loop was busy (or the process descheduled) that long
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > 12) stalls.push([origin + last, now - last]);
    last = now;
  }, 2).unref();
  // LATENCY_PROBE_PROFILE=1: on SIGUSR2, a CPU profile of the main thread for 10 s (250 µs samples); the profiler's
  // clock is the monotonic one, `monotonicOffsetUs` puts the stalls on it
  let profile = null;
  if (process.env.LATENCY_PROBE_PROFILE === '1') {
    const session = new Session();
    session.connect();
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 250 }));
    process.on('SIGUSR2', () => session.post('Profiler.start', () => setTimeout(() => session.post('Profiler.stop', (err, r) => {
      if (!err) profile = r.profile;
    }), 10_000).unref()));
  }
  const monotonicOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  process.on('exit', () => writeFileSync(out, JSON.stringify({ gc, stalls, origin, monotonicOffsetUs, profile })));
}
