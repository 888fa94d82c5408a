import type { Logger } from 'pino';
import type { GatewayBus } from '../bus.js';
import type { ResolvedConfig } from '../config/load.js';
import type { GatewayMetrics } from '../metrics.js';
import type { AlertStore } from '../store/alert-store.js';
import type { Store } from '../store/store.js';
import { HttpServer } from './server.js';
import type { AlertSource, StatusProviders, StatusSnapshot } from './status.js';

/** What the HTTP server needs from the gateway controller (kept narrow so gateway.ts stays small). */
export interface HttpHost {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly bus: GatewayBus;
  readonly metrics: GatewayMetrics;
  readonly database: Store;
  readonly alertStore: AlertStore;
  readonly providers: StatusProviders;
  readonly isReady: boolean;
  statusSnapshot(): Omit<StatusSnapshot, 'websocketClients'>;
}

export function startHttpServer(host: HttpHost): Promise<HttpServer> {
  const { config } = host;
  return HttpServer.start({
    config: config.http, dataDir: config.gateway.dataDir, defaultCity: config.gateway.city,
    bus: host.bus, store: host.database, metrics: host.metrics, log: host.log.child({ component: 'http' }),
    cityOf: (sensorId) => host.config.registry.get(sensorId)?.city ?? host.config.gateway.city,
    status: () => host.statusSnapshot(),
    alertSource: () => host.providers.alerts ?? alertSourceOf(host.alertStore),
    ready: () => host.isReady,
  });
}

/** The alert module's store as the dashboard's AlertSource; the active list and history are filtered by city. */
export function alertSourceOf(store: AlertStore): AlertSource {
  return {
    active: (city) => store.active().filter((e) => city === undefined || e.city === city),
    history: (limit, city) => store.history({ limit: city === undefined ? limit : limit * 4 }).filter((e) => city === undefined || e.city === city).slice(0, limit),
    acknowledge(eventId, by) {
      if (!store.acknowledge(eventId, by, Date.now())) return null;
      return store.active().find((e) => e.eventId === eventId) ?? store.history({ limit: 1_000 }).find((e) => e.eventId === eventId) ?? null;
    },
  };
}
