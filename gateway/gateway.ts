import type { Logger } from 'pino';
import type { DriverConfig } from '../drivers/registry.js';
import type { ResolvedConfig } from './config/load.js';
import { EmbeddedBroker } from './broker.js';
import { GatewayBus } from './bus.js';
import { startHttpServer } from './http/attach.js';
import type { HttpServer } from './http/server.js';
import { outboxBacklog } from './store/dashboard-queries.js';
import type { StatusProviders, StatusSnapshot } from './http/status.js';
import { DriverHost } from './driver-host.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import type { Pipeline } from './pipeline/pipeline.js';
import { buildPipeline } from './pipeline/build.js';
import { publishAlertsToBroker } from './alerts/mqtt-alerts.js';
import { WebhookDispatcher } from './alerts/webhooks.js';
import type { AlertStore } from './store/alert-store.js';
import { applyRetention } from './store/retention.js';
import { Store } from './store/store.js';

const TICK_INTERVAL_MS = 1_000;
const RETENTION_INTERVAL_MS = 60_000;

/** The controller: `start()` reads top to bottom — store, pipeline, sinks, broker, drivers, ready. */
export class Gateway {
  readonly bus = new GatewayBus();
  readonly metrics: GatewayMetrics = createMetrics();
  private store!: Store;
  private pipeline!: Pipeline;
  private broker: EmbeddedBroker | null = null;
  private drivers!: DriverHost;
  private alerts!: AlertStore;
  private webhooks: WebhookDispatcher | null = null;
  private timers: NodeJS.Timeout[] = [];
  private http: HttpServer | null = null;
  private readonly startedAt = Date.now();
  isReady = false;
  /** The sync worker (sync/) and the alert module register here; the dashboard shows them (docs/dashboard.md). */
  readonly providers: StatusProviders = { sync: null, alerts: null };

  constructor(readonly config: ResolvedConfig, readonly log: Logger) {}

  async start(): Promise<this> {
    const { config, log } = this;
    this.store = new Store(config.store.path);
    log.info({ path: config.store.path }, 'store open');

    const built = buildPipeline(config, this.store, this.bus, this.metrics, log.child({ stage: 'pipeline' }));
    this.pipeline = built.pipeline;
    this.alerts = built.alertStore;
    const rebuilt = this.pipeline.rebuild();
    log.info({ ...rebuilt, sensors: built.directory.size }, 'windows rebuilt from stored readings');

    this.timers.push(setInterval(() => this.pipeline.tick(), TICK_INTERVAL_MS));
    this.timers.push(setInterval(() => this.retention(), RETENTION_INTERVAL_MS));
    this.webhooks = new WebhookDispatcher(this.alerts, config.alerts.webhooks, log.child({ component: 'webhooks' }));
    this.webhooks.start(this.bus);

    if (config.mqtt.enabled) {
      this.broker = await EmbeddedBroker.start({
        host: config.mqtt.host, port: config.mqtt.port, topicPrefix: config.mqtt.topicPrefix, maxPayloadBytes: config.mqtt.maxPayload,
      }, log.child({ component: 'broker' }), this.metrics);
      publishAlertsToBroker(this.bus, this.broker, config.alerts.mqttTopicPrefix, log.child({ component: 'alerts' }));
    }

    if (config.http.enabled) this.http = await startHttpServer(this);

    this.drivers = new DriverHost(this.pipeline, this.broker, this.metrics, log, (name, state) => built.alerts.noteDriverState(name, state));
    await this.drivers.startAll(this.driverConfigs());
    this.isReady = true;
    log.info({ gatewayId: config.gateway.id, mqttPort: this.broker?.port ?? null, httpPort: this.http?.port ?? null, drivers: this.config.drivers.length }, 'gateway ready');
    return this;
  }

  get mqttPort(): number | null {
    return this.broker?.port ?? null;
  }

  get database(): Store {
    return this.store;
  }

  get alertStore(): AlertStore {
    return this.alerts;
  }

  driverHealth() {
    return this.drivers?.health() ?? [];
  }

  /** Drivers, broker and uplink, for the dashboard and /api/status. */
  statusSnapshot(): Omit<StatusSnapshot, 'websocketClients'> {
    const backlog = () => {
      const b = outboxBacklog(this.store.db);
      const oldestAgeMs = b.oldestCreatedAt === null ? null : Date.now() - b.oldestCreatedAt;
      return { configured: false, connected: false, backlogEvents: b.events, backlogBytes: b.bytes, oldestAgeMs };
    };
    return {
      gatewayId: this.config.gateway.id, city: this.config.gateway.city, startedAt: this.startedAt, ready: this.isReady,
      drivers: this.driverHealth(),
      broker: { enabled: this.broker !== null, port: this.broker?.port ?? null, clients: this.broker?.clientCount ?? 0 },
      sync: this.providers.sync?.() ?? backlog(),
    };
  }

  /** SIGTERM: stop input, commit what was accepted (so its PUBACKs go out), close. */
  async stop(): Promise<void> {
    this.isReady = false;
    await this.http?.close();
    for (const timer of this.timers) clearInterval(timer);
    this.webhooks?.stop();
    await this.drivers?.stopAll();
    await this.pipeline?.stop();
    await this.broker?.close();
    this.store?.close();
    this.log.info('gateway stopped');
  }

  private driverConfigs(): DriverConfig[] {
    const embeddedIngest: DriverConfig[] = this.broker && !this.config.drivers.some((d) => d.type === 'mqtt')
      ? [{ type: 'mqtt', name: 'mqtt', broker: 'embedded', topicPrefix: this.config.mqtt.topicPrefix }]
      : [];
    return [...embeddedIngest, ...this.config.drivers];
  }

  private retention(): void {
    try {
      const deleted = applyRetention(this.store, { rawRetentionMs: this.config.store.rawRetention, rawBudgetBytes: this.config.store.rawBudget }, Date.now());
      if (deleted) this.log.info({ deleted }, 'raw readings past retention deleted');
    } catch (err) {
      this.log.warn({ err }, 'retention failed; will retry');
    }
  }
}
