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
import { ResultRetention, applyRetention } from './store/retention.js';
import { Store } from './store/store.js';
import { budgetForCommitInterval, startCheckpointer, type Checkpointer } from './store/checkpointer.js';
import { createBrokerSecurity, buildPolicy, tlsListener, type BrokerSecurity } from './broker-security/index.js';
import { nextLogLevel, onLogLineDropped, type LogLevel } from './logger.js';
import { ConfigInvalidError } from './errors.js';
import { ServiceLifecycle } from './service/lifecycle.js';
import { planReload } from './service/reload.js';
import { SyncWorker } from '../sync/worker.js';

const TICK_INTERVAL_MS = 1_000;

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
  private sync: SyncWorker | null = null;
  private checkpointer: Checkpointer | null = null;
  private resultRetention: ResultRetention | null = null;
  private readonly startedAt = Date.now();
  isReady = false;
  /** The sync worker (sync/) and the alert module register here; the dashboard shows them (docs/dashboard.md). */
  readonly providers: StatusProviders = { sync: null, alerts: null };

  // --- service (issue 7): systemd notify/watchdog, reload, runtime log level, MQTT security ---
  readonly service: ServiceLifecycle;
  private security: BrokerSecurity | null = null;

  /** `configDir` resolves relative paths in `mqtt:` (credentials file, certificates). */
  constructor(public config: ResolvedConfig, readonly log: Logger, private readonly configDir = process.cwd()) {
    this.service = new ServiceLifecycle(log.child({ component: 'service' }), this.metrics);
    onLogLineDropped(log, () => this.metrics.logLinesDropped.inc());
  }

  async start(): Promise<this> {
    const { config, log } = this;
    this.store = new Store(config.store.path, { maxBytes: config.store.maxSize });
    if (config.store.checkpoints !== 'inline') {
      const inlineBudgetMs = () => budgetForCommitInterval(this.pipeline?.commitIntervalMs() ?? 0);
      this.checkpointer = startCheckpointer(this.store, log.child({ component: 'store' }), { mode: config.store.checkpoints, inlineBudgetMs });
    }
    log.info({ path: config.store.path, unindexedReadings: this.store.unindexedAtOpen }, 'store open');

    const built = buildPipeline(config, this.store, this.bus, this.metrics, log.child({ stage: 'pipeline' }));
    this.pipeline = built.pipeline;
    this.alerts = built.alertStore;
    const rebuilt = this.timed('rebuild', () => this.pipeline.restoreOrRebuild());
    if (rebuilt.snapshotRejected) log.warn({ reason: rebuilt.snapshotRejected }, 'window snapshot not used; replaying stored readings');
    log.info({ ...rebuilt, sensors: built.directory.size }, 'windows rebuilt from stored readings');
    this.sync = new SyncWorker(this.store, this.metrics, log.child({ component: 'sync' }), { gatewayId: config.gateway.id, config: config.sync }).start();
    this.providers.sync = () => this.sync!.status();

    this.timers.push(setInterval(() => this.timed('tick', () => this.pipeline.tick()), TICK_INTERVAL_MS));
    if (config.store.resultRetention) this.resultRetention = new ResultRetention(this.store, config.store.resultRetention);
    this.timers.push(setInterval(() => this.timed('retention', () => this.retention()), config.store.retentionInterval));
    this.bus.on('readings', () => this.service.committed());
    this.webhooks = new WebhookDispatcher(this.alerts, config.alerts.webhooks, log.child({ component: 'webhooks' }));
    this.webhooks.start(this.bus);

    if (config.mqtt.enabled) {
      const brokerLog = log.child({ component: 'broker' });
      const secured = createBrokerSecurity(config.mqtt, this.configDir, brokerLog, this.metrics);
      if (!secured.security) throw new ConfigInvalidError(secured.problems);
      this.security = secured.security;
      this.broker = await EmbeddedBroker.start({
        host: config.mqtt.host, port: config.mqtt.port, topicPrefix: config.mqtt.topicPrefix, maxPayloadBytes: config.mqtt.maxPayload,
        security: secured.security, maxTopicLevels: config.mqtt.limits.maxTopicLevels, tls: secured.tls,
      }, brokerLog, this.metrics);
      const broker = this.broker;
      this.pipeline.beforeCommit((hasRoom) => broker.readWaiting(hasRoom));
      publishAlertsToBroker(this.bus, this.broker, config.alerts.mqttTopicPrefix, log.child({ component: 'alerts' }));
    }

    if (config.http.enabled) this.http = await startHttpServer(this);

    this.drivers = new DriverHost(this.pipeline, this.broker, this.metrics, log, (name, state) => built.alerts.noteDriverState(name, state));
    await this.drivers.startAll(this.driverConfigs());
    this.isReady = true;
    log.info({ gatewayId: config.gateway.id, mqttPort: this.broker?.port ?? null, mqttTlsPort: this.broker?.tlsPort ?? null, httpPort: this.http?.port ?? null, drivers: this.config.drivers.length }, 'gateway ready');
    this.service.ready(`ready: ${this.config.drivers.length} drivers, mqtt ${this.broker?.port ?? 'off'}`, () => this.pipeline.pendingCount);
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
    return {
      gatewayId: this.config.gateway.id, city: this.config.gateway.city, startedAt: this.startedAt, ready: this.isReady,
      drivers: this.driverHealth(),
      broker: { enabled: this.broker !== null, port: this.broker?.port ?? null, clients: this.broker?.clientCount ?? 0 },
      sync: this.providers.sync?.() ?? { enabled: false, state: 'disabled', backlog: outboxBacklog(this.store.db), lastError: null, lastDelivery: null },
    };
  }

  /** SIGTERM: stop input, commit what was accepted (so its PUBACKs go out), close. */
  async stop(): Promise<void> {
    this.service.stopping();
    this.isReady = false;
    await this.http?.close();
    for (const timer of this.timers) clearInterval(timer);
    this.webhooks?.stop();
    await this.drivers?.stopAll();
    await this.pipeline?.stop();
    await this.sync?.stop();
    await this.broker?.close();
    await this.checkpointer?.stop();
    this.store?.close();
    this.log.info('gateway stopped');
    await this.service.close();
  }

  /**
   * SIGHUP: `next` is already validated. Applies the log level, MQTT users/credentials file/ACL/limits,
   * TLS certificate files and driver changes; lists what needs a restart. Throws (keeping everything
   * as it runs) when the credentials file or certificates are unusable.
   */
  async reload(next: ResolvedConfig): Promise<{ applied: string[]; restartNeeded: string[] }> {
    const plan = planReload(this.config, next);
    const problems: string[] = [];
    const policy = this.security ? buildPolicy(plan.effective.mqtt, this.configDir) : null;
    problems.push(...(policy?.problems ?? []));
    const tls = plan.mqttTlsFiles ? tlsListener(plan.effective.mqtt, this.configDir, problems) : undefined;
    if (problems.length) throw new ConfigInvalidError(problems);
    const applied: string[] = [];
    if (plan.logLevel) this.setLogLevel(next.gateway.logLevel);
    if (plan.logLevel) applied.push('gateway.logLevel');
    if (policy && this.security) {
      this.security.replacePolicy(policy.policy);
      applied.push(`mqtt security (${this.security.userCount} users)`);
    }
    if (tls) {
      this.broker?.setTlsContext(tls.options);
      applied.push('mqtt.tls certificates');
    }
    this.config = plan.effective;
    if (plan.drivers) {
      const { started, stopped } = await this.drivers.reconcile(this.driverConfigs());
      applied.push(`drivers (started: ${started.join(', ') || 'none'}; stopped: ${stopped.join(', ') || 'none'})`);
    }
    this.service.reloaded(`reloaded; restart needed for: ${plan.restartNeeded.join(', ') || 'nothing'}`);
    return { applied, restartNeeded: plan.restartNeeded };
  }

  /** Is the pipeline committing (or idle)? The same check that gates the systemd watchdog. */
  pipelineProgress() {
    return this.service.pipelineProgress();
  }

  /** Runtime log level (SIGUSR2, SIGHUP, or the API); every child logger follows the root. */
  setLogLevel(level: LogLevel): void {
    const from = this.log.level;
    this.log.level = level;
    this.log.warn({ from, to: level }, 'log level changed');
  }

  cycleLogLevel(): LogLevel {
    const level = nextLogLevel(this.log.level, this.config.gateway.logLevel);
    this.setLogLevel(level);
    return level;
  }

  private timed<T>(stage: string, run: () => T): T {
    const end = this.metrics.stageSeconds.startTimer({ stage });
    try {
      return run();
    } finally {
      end();
    }
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
      const results = this.resultRetention?.run(Date.now());
      if (results && (results.windows || results.scores)) this.log.info(results, 'window results and scores past retention deleted');
    } catch (err) {
      this.log.warn({ err }, 'retention failed; will retry');
    }
  }
}
