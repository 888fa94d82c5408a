import type { DriverHealth } from '../../drivers/driver.js';
import type { AlertEvent } from '../bus.js';

/**
 * The uplink as the Kafka sync worker reports it: a structural subset of sync/worker.ts `SyncStatus`, so
 * `gateway.providers.sync = () => worker.status()` fits as is. Without a provider the outbox counters stand in.
 */
export interface SyncStatus {
  /** False when no uplink is configured: the outbox only grows (store-and-forward). */
  enabled: boolean;
  state: 'disabled' | 'connecting' | 'online' | 'offline';
  backlog: { events: number; bytes: number; oldestCreatedAt: number | null };
  lastError: { code: string; message: string; at: number } | null;
  lastDelivery: { at: number } | null;
}

/** The alert module's side of the dashboard (registered with `gateway.providers.alerts`). */
export interface AlertSource {
  /** Alerts not cleared, newest first. */
  active(city?: string): AlertEvent[];
  /** Recent alert events (raised, escalated, cleared), newest first. */
  history(limit: number, city?: string): AlertEvent[];
  /** Marks an alert acknowledged; null when no such event. */
  acknowledge(eventId: string, by: string): AlertEvent | null | Promise<AlertEvent | null>;
}

export interface StatusSnapshot {
  gatewayId: string;
  city: string;
  startedAt: number;
  ready: boolean;
  drivers: DriverHealth[];
  broker: { enabled: boolean; port: number | null; clients: number };
  sync: SyncStatus;
  websocketClients: number;
}

/** Hooks other parts of the gateway fill in; each is optional. */
export interface StatusProviders {
  sync: (() => SyncStatus) | null;
  alerts: AlertSource | null;
}
