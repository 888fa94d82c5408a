import type { Registry } from './registry.js';

/**
 * Prometheus metrics for the gateway's own use (text exposition format 0.0.4). In place of prom-client, whose
 * label hashing per call, GC observer and module graph (@opentelemetry/api among it) cost ~2 % of a core and
 * ~2.5 MiB RSS at 1,000 readings/s (docs/benchmarks.md "Footprint").
 */
export type LabelValues = Readonly<Record<string, string | number>>;

export interface MetricValue {
  labels: LabelValues;
  value: number;
  /** Set for a histogram's `_bucket`, `_sum` and `_count` series. */
  metricName?: string;
}

export interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: MetricValue[];
}

export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers?: readonly Registry[];
}

type Labels<L extends string> = Partial<Record<L, string | number>>;

export abstract class Metric<L extends string, Child> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: MetricSnapshot['type'];
  protected readonly labelNames: readonly L[];
  private readonly children = new Map<string, { labels: LabelValues; child: Child }>();

  constructor(options: MetricOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
    for (const registry of options.registers ?? []) registry.register(this);
  }

  /** The child for one set of label values; keep it to skip the lookup on a hot path. */
  labels(labels: Labels<L>): Child {
    const key = this.keyOf(labels);
    let entry = this.children.get(key);
    if (!entry) {
      // label sets are fixed in the code: checking the names once per set catches a typo without a cost per call
      for (const name of Object.keys(labels)) {
        if (!this.labelNames.includes(name as L)) throw new Error(`${this.name}: label "${name}" is not one of [${this.labelNames.join(', ')}]`);
      }
      const ordered: Record<string, string | number> = {};
      for (const name of this.labelNames) if (labels[name] !== undefined) ordered[name] = labels[name]!;
      entry = { labels: ordered, child: this.newChild(ordered) };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  remove(labels: Labels<L>): void {
    this.children.delete(this.keyOf(labels));
  }

  reset(): void {
    this.children.clear();
  }

  /** Runs before each snapshot (a gauge that reads its value when scraped). */
  collect?(): void;

  async get(): Promise<MetricSnapshot> {
    this.collect?.();
    // unlabelled metrics show 0 before their first change, as Prometheus clients do
    if (this.labelNames.length === 0 && this.children.size === 0) this.labels({});
    const values: MetricValue[] = [];
    for (const { labels, child } of this.children.values()) values.push(...this.valuesOf(labels, child));
    return { name: this.name, help: this.help, type: this.type, values };
  }

  protected abstract newChild(labels: LabelValues): Child;
  protected abstract valuesOf(labels: LabelValues, child: Child): MetricValue[];

  /** Built without an array: a gauge set on every ingest call made one (docs/benchmarks.md). */
  private keyOf(labels: Labels<L>): string {
    let key = '';
    for (let i = 0; i < this.labelNames.length; i++) key += (i ? '\u0000' : '') + String(labels[this.labelNames[i]!] ?? '');
    return key;
  }
}

const NO_LABELS = Object.freeze({});
/** `metric.inc(3)`, `metric.inc({ a: 'x' })`, `metric.inc({ a: 'x' }, 3)`: the labels… */
const labelsOf = <L extends string>(labels: Labels<L> | number | undefined): Labels<L> => (typeof labels === 'object' ? labels : NO_LABELS);
/** …and the value. */
const valueOf = (labels: object | number | undefined, value: number | undefined): number | undefined => (typeof labels === 'object' ? value : labels);

export interface CounterChild {
  inc(value?: number): void;
}

export class Counter<L extends string = string> extends Metric<L, CounterChild & { value: number }> {
  readonly type = 'counter';

  inc(labels?: Labels<L> | number, value?: number): void {
    this.labels(labelsOf(labels)).inc(valueOf(labels, value));
  }

  protected newChild() {
    const name = this.name;
    return {
      value: 0,
      inc(by = 1) {
        if (!(by >= 0)) throw new Error(`${name}: a counter only goes up (inc by ${by})`);
        this.value += by;
      },
    };
  }

  protected valuesOf(labels: LabelValues, child: { value: number }): MetricValue[] {
    return [{ labels, value: child.value }];
  }
}

export interface GaugeChild {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

export class Gauge<L extends string = string> extends Metric<L, GaugeChild & { value: number }> {
  readonly type = 'gauge';

  constructor(options: MetricOptions<L> & { collect?: (this: Gauge<L>) => void }) {
    super(options);
    if (options.collect) this.collect = options.collect;
  }

  set(labels: Labels<L> | number, value?: number): void {
    this.labels(labelsOf(labels)).set(valueOf(labels, value) ?? 0);
  }

  inc(labels?: Labels<L> | number, value?: number): void {
    this.labels(labelsOf(labels)).inc(valueOf(labels, value));
  }

  dec(labels?: Labels<L> | number, value?: number): void {
    this.labels(labelsOf(labels)).dec(valueOf(labels, value));
  }

  protected newChild() {
    return {
      value: 0,
      set(value: number) {
        this.value = value;
      },
      inc(by = 1) {
        this.value += by;
      },
      dec(by = 1) {
        this.value -= by;
      },
    };
  }

  protected valuesOf(labels: LabelValues, child: { value: number }): MetricValue[] {
    return [{ labels, value: child.value }];
  }
}

export interface HistogramChild {
  observe(value: number): void;
  /** Returns a function that observes the seconds since, and returns them. */
  startTimer(): () => number;
}

interface HistogramState extends HistogramChild {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram<L extends string = string> extends Metric<L, HistogramState> {
  readonly type = 'histogram';
  private readonly buckets: readonly number[];

  constructor(options: MetricOptions<L> & { buckets: readonly number[] }) {
    super(options);
    this.buckets = [...options.buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels<L> | number, value?: number): void {
    this.labels(labelsOf(labels)).observe(valueOf(labels, value) ?? Number.NaN);
  }

  startTimer(labels: Labels<L> = {}): () => number {
    return this.labels(labels).startTimer();
  }

  protected newChild(): HistogramState {
    const buckets = this.buckets;
    const name = this.name;
    return {
      counts: buckets.map(() => 0),
      sum: 0,
      count: 0,
      observe(value: number) {
        if (!Number.isFinite(value)) throw new Error(`${name}: cannot observe ${value}`);
        for (let i = 0; i < buckets.length; i++) {
          if (value <= buckets[i]!) {
            this.counts[i]!++;
            break;
          }
        }
        this.sum += value;
        this.count++;
      },
      startTimer() {
        const start = performance.now();
        return () => {
          const seconds = (performance.now() - start) / 1000;
          this.observe(seconds);
          return seconds;
        };
      },
    };
  }

  protected valuesOf(labels: LabelValues, child: HistogramState): MetricValue[] {
    let cumulative = 0;
    const values: MetricValue[] = this.buckets.map((le, i) => {
      cumulative += child.counts[i]!;
      return { metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative };
    });
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: child.count });
    values.push({ metricName: `${this.name}_sum`, labels, value: child.sum });
    values.push({ metricName: `${this.name}_count`, labels, value: child.count });
    return values;
  }
}
