import type { Metric, MetricSnapshot } from './metric.js';

type AnyMetric = Metric<string, unknown>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const number = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

/** One metric in the text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/). */
export function exposition(snapshot: MetricSnapshot): string {
  const lines = [`# HELP ${snapshot.name} ${escapeHelp(snapshot.help)}`, `# TYPE ${snapshot.name} ${snapshot.type}`];
  for (const { metricName, labels, value } of snapshot.values) {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
    lines.push(`${metricName ?? snapshot.name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${number(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

export class Registry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  private readonly byName = new Map<string, AnyMetric>();

  register(metric: AnyMetric): void {
    if (this.byName.has(metric.name)) throw new Error(`a metric named ${metric.name} is already registered`);
    this.byName.set(metric.name, metric);
  }

  getSingleMetric(name: string): AnyMetric | undefined {
    return this.byName.get(name);
  }

  async getSingleMetricAsString(name: string): Promise<string> {
    const metric = this.byName.get(name);
    return metric ? exposition(await metric.get()) : '';
  }

  async metrics(): Promise<string> {
    const parts: string[] = [];
    for (const metric of this.byName.values()) parts.push(exposition(await metric.get()));
    return parts.join('\n');
  }
}
