import type { ResolvedConfig } from '../config/load.js';

export interface SensorPlacement {
  sensorId: string;
  city: string;
  lat: number;
  lon: number;
  cell: string;
  expectedIntervalMs: number;
  /** Explicit contexts; empty means every context whose rule uses the metric. */
  contexts: readonly string[];
}

/** The enrich stage: sensor id → location, city, H3 cell and contexts (DESIGN §3 sensor registry). */
export class SensorDirectory {
  private readonly bySensor = new Map<string, SensorPlacement>();
  private readonly byCell = new Map<string, SensorPlacement[]>();
  private readonly contextsByMetric = new Map<string, string[]>();

  constructor(config: Pick<ResolvedConfig, 'registry' | 'scoring'>) {
    for (const sensor of config.registry.values()) {
      const placement: SensorPlacement = {
        sensorId: sensor.id, city: sensor.city, lat: sensor.lat, lon: sensor.lon,
        cell: sensor.cell,
        expectedIntervalMs: sensor.expectedInterval, contexts: sensor.contexts,
      };
      this.bySensor.set(sensor.id, placement);
      const inCell = this.byCell.get(placement.cell) ?? [];
      inCell.push(placement);
      this.byCell.set(placement.cell, inCell);
    }
    for (const [context, rule] of Object.entries(config.scoring.contexts)) {
      for (const metric of Object.keys(rule.metrics)) {
        this.contextsByMetric.set(metric, [...(this.contextsByMetric.get(metric) ?? []), context]);
      }
    }
  }

  get size(): number {
    return this.bySensor.size;
  }

  lookup(sensorId: string): SensorPlacement | undefined {
    return this.bySensor.get(sensorId);
  }

  sensorsIn(cell: string): readonly SensorPlacement[] {
    return this.byCell.get(cell) ?? [];
  }

  all(): IterableIterator<SensorPlacement> {
    return this.bySensor.values();
  }

  cells(): IterableIterator<string> {
    return this.byCell.keys();
  }

  /** Contexts a sensor's metric feeds. */
  contextsFor(placement: SensorPlacement, metric: string): readonly string[] {
    const byRule = this.contextsByMetric.get(metric) ?? [];
    return placement.contexts.length ? byRule.filter((c) => placement.contexts.includes(c)) : byRule;
  }

  feeds(placement: SensorPlacement, context: string): boolean {
    return placement.contexts.length === 0 || placement.contexts.includes(context);
  }
}
