import type { Logger } from 'pino';
import type { Driver, DriverContext, DriverHealth, DriverState, EmbeddedBrokerPort } from '../drivers/driver.js';
import { loadDriver } from '../drivers/load-driver.js';
import type { DriverConfig } from '../drivers/registry.js';
import { errorMessage } from './errors.js';
import type { GatewayMetrics } from './metrics.js';
import type { Pipeline } from './pipeline/pipeline.js';

const RESTART_BACKOFF_MS = { initial: 1_000, max: 60_000 };

interface Instance {
  config: DriverConfig;
  health: DriverHealth;
  driver: Driver | null;
  restartTimer: NodeJS.Timeout | null;
  failures: number;
  removed?: boolean;
}

/** Runs every configured driver instance; a fault in one is logged with its name, counted, and retried. */
export class DriverHost {
  private readonly instances: Instance[] = [];
  private stopped = false;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly broker: EmbeddedBrokerPort | null,
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
    private readonly onStateChange: (name: string, state: DriverState) => void = () => undefined,
  ) {}

  async startAll(configs: readonly DriverConfig[]): Promise<void> {
    for (const config of configs) {
      const instance: Instance = {
        config, driver: null, restartTimer: null, failures: 0,
        health: { name: config.name, type: config.type, state: 'connecting', lastReadingAt: null, errors: {} },
      };
      this.instances.push(instance);
      await this.startInstance(instance);
    }
  }

  health(): DriverHealth[] {
    return this.instances.map((i) => ({ ...i.health, errors: { ...i.health.errors } }));
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.instances.map(async (instance) => {
      if (instance.restartTimer) clearTimeout(instance.restartTimer);
      try {
        await instance.driver?.stop();
      } catch (err) {
        this.log.warn({ driver: instance.config.name, err }, 'driver stop failed');
      }
    }));
  }

  // --- reload (issue 7): stop removed or changed instances, start new or changed ones, keep the rest ---
  async reconcile(configs: readonly DriverConfig[]): Promise<{ started: string[]; stopped: string[] }> {
    const same = (a: DriverConfig, b: DriverConfig) => JSON.stringify(a) === JSON.stringify(b);
    const wanted = new Map(configs.map((c) => [c.name, c]));
    const stopped: string[] = [];
    for (const instance of [...this.instances]) {
      const next = wanted.get(instance.config.name);
      if (next && same(next, instance.config)) {
        wanted.delete(next.name);
        continue;
      }
      instance.removed = true;
      if (instance.restartTimer) clearTimeout(instance.restartTimer);
      await instance.driver?.stop().catch((err: unknown) => this.log.warn({ driver: instance.config.name, err }, 'driver stop failed'));
      this.instances.splice(this.instances.indexOf(instance), 1);
      this.metrics.driverUp.remove({ driver: instance.config.name, type: instance.config.type });
      stopped.push(instance.config.name);
    }
    await this.startAll([...wanted.values()]);
    return { started: [...wanted.keys()], stopped };
  }
  // --- end reload ---

  private async startInstance(instance: Instance): Promise<void> {
    const { name, type } = instance.config;
    try {
      const module = await loadDriver(type);
      instance.driver = (module.createDriver as (c: DriverConfig, ctx: DriverContext) => Driver)(instance.config, this.contextFor(instance));
      await instance.driver.start();
      instance.failures = 0;
    } catch (err) {
      instance.failures++;
      this.setState(instance, 'down', errorMessage(err));
      this.countError(instance, 'start');
      const delay = Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.initial * 2 ** (instance.failures - 1));
      this.log.error({ driver: name, type, err: errorMessage(err), retryInMs: delay }, 'driver failed to start');
      await instance.driver?.stop().catch(() => undefined);
      instance.driver = null;
      if (!this.stopped && !instance.removed) instance.restartTimer = setTimeout(() => void this.startInstance(instance), delay);
    }
  }

  private contextFor(instance: Instance): DriverContext {
    const log = this.log.child({ driver: instance.config.name });
    return {
      log,
      embeddedBroker: this.broker,
      submit: (readings, options) => this.pipeline.submit(readings, options),
      reject: (input) => this.pipeline.reject(input),
      setHealth: (state, detail) => this.setState(instance, state, detail),
      countError: (kind) => this.countError(instance, kind),
      markReading: (atMs) => {
        instance.health.lastReadingAt = atMs;
      },
    };
  }

  private setState(instance: Instance, state: DriverState, detail?: string): void {
    if (instance.health.state !== state) {
      this.log.info({ driver: instance.config.name, from: instance.health.state, to: state, detail }, 'driver state');
      this.onStateChange(instance.config.name, state);
    }
    instance.health.state = state;
    instance.health.detail = detail;
    this.metrics.driverUp.set({ driver: instance.config.name, type: instance.config.type }, state === 'up' ? 1 : 0);
  }

  private countError(instance: Instance, kind: string): void {
    instance.health.errors[kind] = (instance.health.errors[kind] ?? 0) + 1;
    this.metrics.driverErrors.inc({ driver: instance.config.name, kind });
  }
}
