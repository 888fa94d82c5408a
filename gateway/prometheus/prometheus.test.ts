import { describe, expect, it } from 'vitest';
import { collectDefaultMetrics } from './default-metrics.js';
import { Counter, Gauge, Histogram } from './metric.js';
import { Registry } from './registry.js';

describe('Prometheus metrics (text exposition)', () => {
  it('counts by label set, shows an unlabelled metric at 0, and escapes label values', async () => {
    const registry = new Registry();
    const registers = [registry];
    const seen = new Counter<'source' | 'status'>({ name: 't_seen_total', help: 'Seen\nby source', labelNames: ['source', 'status'], registers });
    new Counter({ name: 't_plain_total', help: 'Plain', registers });
    seen.inc({ status: 'ok', source: 'mqtt' });
    seen.inc({ source: 'mqtt', status: 'ok' }, 2);
    seen.labels({ source: 'a"b\\c', status: 'bad' }).inc();
    expect(await registry.metrics()).toBe([
      '# HELP t_seen_total Seen\\nby source', '# TYPE t_seen_total counter',
      't_seen_total{source="mqtt",status="ok"} 3', 't_seen_total{source="a\\"b\\\\c",status="bad"} 1', '',
      '# HELP t_plain_total Plain', '# TYPE t_plain_total counter', 't_plain_total 0', '',
    ].join('\n'));
    expect(() => seen.inc({ source: 'x' }, -1)).toThrow(/only goes up/);
    expect(() => seen.inc({ nope: 'x' } as never)).toThrow(/label "nope"/);
    expect(() => new Counter({ name: 't_plain_total', help: 'again', registers })).toThrow(/already registered/);
  });

  it('sets gauges, reads one on scrape, and forgets a removed label set', async () => {
    const registry = new Registry();
    let queued = 7;
    const up = new Gauge<'driver'>({ name: 't_up', help: 'Up', labelNames: ['driver'], registers: [registry] });
    new Gauge({ name: 't_queued', help: 'Queued', registers: [registry], collect() {
      this.set(queued);
    } });
    up.set({ driver: 'a' }, 1);
    up.set({ driver: 'b' }, 0);
    up.inc({ driver: 'b' }, 3);
    up.dec({ driver: 'b' });
    up.remove({ driver: 'a' });
    queued = 9;
    expect(await registry.metrics()).toContain('t_up{driver="b"} 2\n');
    expect(await registry.metrics()).not.toContain('driver="a"');
    expect(await registry.getSingleMetricAsString('t_queued')).toContain('\nt_queued 9\n');
    expect((await registry.getSingleMetric('t_up')!.get()).values).toEqual([{ labels: { driver: 'b' }, value: 2 }]);
  });

  it('keeps cumulative histogram buckets, +Inf, sum and count per label set, and times with startTimer', async () => {
    const registry = new Registry();
    const h = new Histogram<'stage'>({ name: 't_seconds', help: 'Stage', labelNames: ['stage'], buckets: [0.1, 0.01, 1], registers: [registry] });
    for (const v of [0.005, 0.05, 0.05, 0.5, 5]) h.observe({ stage: 'x' }, v);
    const seconds = h.startTimer({ stage: 'y' })();
    expect(seconds).toBeGreaterThanOrEqual(0);
    const text = await registry.metrics();
    expect(text).toContain([
      't_seconds_bucket{le="0.01",stage="x"} 1', 't_seconds_bucket{le="0.1",stage="x"} 3', 't_seconds_bucket{le="1",stage="x"} 4',
      't_seconds_bucket{le="+Inf",stage="x"} 5', 't_seconds_sum{stage="x"} 5.605', 't_seconds_count{stage="x"} 5',
    ].join('\n'));
    expect(text).toContain('t_seconds_count{stage="y"} 1');
    expect(() => h.observe({ stage: 'x' }, Number.NaN)).toThrow(/cannot observe/);
  });

  it('exports the process metrics by their usual names, read when scraped', async () => {
    const registry = new Registry();
    collectDefaultMetrics(registry);
    const text = await registry.metrics();
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'process_open_fds',
      'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_version_info']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'));
    }
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)![1]);
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(text).toMatch(/^nodejs_heap_space_size_used_bytes\{space="old"\} \d+$/m);
    const before = Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)![1]);
    const until = Date.now() + 30;
    while (Date.now() < until) Math.sqrt(Math.random());
    const after = Number(/^process_cpu_seconds_total (\S+)$/m.exec(await registry.metrics())![1]);
    expect(after).toBeGreaterThan(before);
  });
});
