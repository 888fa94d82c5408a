import { Counter, Gauge } from '../gateway/prometheus/metric.js';
import type { Registry } from '../gateway/prometheus/registry.js';

/** The uplink's Prometheus metrics (DESIGN §6, §8); gateway/metrics.ts spreads these into its registry. */
export function createSyncMetrics(registers: Registry[]) {
  return {
    syncBacklogEvents: new Gauge({ name: 'ucid_sync_backlog_events', help: 'Events in the outbox waiting for the uplink', registers }),
    syncBacklogBytes: new Gauge({ name: 'ucid_sync_backlog_bytes', help: 'Outbox bytes counted against the byte budget', registers }),
    syncBacklogOldestAge: new Gauge({ name: 'ucid_sync_backlog_oldest_age_seconds', help: 'Age of the oldest event in the outbox', registers }),
    syncSent: new Counter({ name: 'ucid_sync_sent_total', help: 'Events committed to Kafka', labelNames: ['topic'], registers }),
    syncBatches: new Counter({ name: 'ucid_sync_batches_total', help: 'Kafka transactions committed', registers }),
    syncFailed: new Counter({ name: 'ucid_sync_failed_total', help: 'Failed uplink attempts by error code', labelNames: ['code'], registers }),
    syncCompacted: new Counter({ name: 'ucid_sync_compacted_total', help: 'Outbox events dropped under budget pressure', labelNames: ['reason'], registers }),
    syncGapEvents: new Counter({ name: 'ucid_sync_gap_events_total', help: 'Gap events written for dropped events', registers }),
    syncBreakerState: new Gauge({ name: 'ucid_sync_breaker_state', help: 'Uplink circuit breaker: 0 closed, 1 half-open, 2 open', registers }),
    syncLastDelivery: new Gauge({ name: 'ucid_sync_last_delivery_timestamp_seconds', help: 'When the last batch was committed to Kafka', registers }),
  };
}

export type SyncMetrics = ReturnType<typeof createSyncMetrics>;
