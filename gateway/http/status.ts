import type { DriverHealth } from '../../drivers/driver.js';
import type { AlertEvent } from '../bus.js';

/** What the Kafka sync worker reports (registered with `gateway.providers.sync`). */
export interface SyncStatus {
  /** False when no uplink is configured: the outbox only grows (store-and-forward). */
  configured: boolean;
  connected: boolean;
  backlogEvents: number;
  backlogBytes: number;
  /** Age of the oldest event not yet delivered, ms; null when the backlog is empty. */
  oldestAgeMs: number | null;
  lastDeliveredAt?: number | null;
  lastError?: string | null;
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
