import { readdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Gauge, Metric, type LabelValues, type MetricValue } from './metric.js';
import type { Registry } from './registry.js';

/** Event-loop delay sampling interval, ms (prom-client's is 10; the figure is a p99 over a scrape interval). */
const EVENT_LOOP_RESOLUTION_MS = 20;

/** A counter whose total is read when scraped (CPU seconds from the OS). */
class ReadCounter extends Metric<never, null> {
  readonly type = 'counter';
  constructor(name: string, help: string, registry: Registry, private readonly read: () => number) {
    super({ name, help, registers: [registry] });
  }

  protected newChild(): null {
    return null;
  }

  protected valuesOf(labels: LabelValues): MetricValue[] {
    return [{ labels, value: this.read() }];
  }
}

/**
 * The process metrics Prometheus clients export by their usual names (the ones examples/grafana-dashboard.json and
 * docs/operations.md use), each read when scraped. No GC observer: it ran on every minor GC.
 */
export function collectDefaultMetrics(registry: Registry): void {
  const registers = [registry];
  const cpu = () => process.cpuUsage();
  new ReadCounter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', registry, () => cpu().user / 1e6);
  new ReadCounter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', registry, () => cpu().system / 1e6);
  new ReadCounter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', registry, () => {
    const { user, system } = cpu();
    return (user + system) / 1e6;
  });
  const startedAt = Math.round(Date.now() / 1000 - process.uptime());
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers, collect() {
    this.set(startedAt);
  } });
  new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', registers, collect() {
    this.set(process.memoryUsage.rss());
  } });
  new Gauge({ name: 'process_open_fds', help: 'Number of open file descriptors.', registers, collect() {
    try {
      this.set(readdirSync('/proc/self/fd').length - 1);
    } catch {
      this.set(Number.NaN);
    }
  } });
  const memory = (pick: (m: NodeJS.MemoryUsage) => number) => function collect(this: Gauge) {
    this.set(pick(process.memoryUsage()));
  };
  new Gauge({ name: 'nodejs_heap_size_total_bytes', help: 'Process heap size from Node.js in bytes.', registers, collect: memory((m) => m.heapTotal) });
  new Gauge({ name: 'nodejs_heap_size_used_bytes', help: 'Process heap size used from Node.js in bytes.', registers, collect: memory((m) => m.heapUsed) });
  new Gauge({ name: 'nodejs_external_memory_bytes', help: 'Node.js external memory size in bytes.', registers, collect: memory((m) => m.external) });
  const space = (name: string, help: string, pick: (s: v8.HeapSpaceInfo) => number) => new Gauge<'space'>({
    name, help, labelNames: ['space'], registers, collect() {
      for (const s of v8.getHeapSpaceStatistics()) this.set({ space: s.space_name.replace(/_space$/, '') }, pick(s));
    },
  });
  space('nodejs_heap_space_size_total_bytes', 'Process heap space size total from Node.js in bytes.', (s) => s.space_size);
  space('nodejs_heap_space_size_used_bytes', 'Process heap space size used from Node.js in bytes.', (s) => s.space_used_size);
  space('nodejs_heap_space_size_available_bytes', 'Process heap space size available from Node.js in bytes.', (s) => s.space_available_size);

  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  delay.enable();
  const lag = (name: string, pick: () => number) => new Gauge({ name, help: `The ${name.split('_')[3]} of the event loop delay since the last scrape, in seconds.`, registers, collect() {
    this.set(delay.count > 0 ? pick() / 1e9 : 0);
  } });
  lag('nodejs_eventloop_lag_mean_seconds', () => delay.mean);
  lag('nodejs_eventloop_lag_p99_seconds', () => delay.percentile(99));
  // last of the three: the scrape's interval starts over
  lag('nodejs_eventloop_lag_max_seconds', () => {
    const max = delay.max;
    delay.reset();
    return max;
  });
  const [major, minor, patch] = process.versions.node.split('.');
  new Gauge<'version' | 'major' | 'minor' | 'patch'>({
    name: 'nodejs_version_info', help: 'Node.js version info.', labelNames: ['version', 'major', 'minor', 'patch'], registers,
  }).set({ version: process.version, major: Number(major), minor: Number(minor), patch: Number(patch) }, 1);
}
