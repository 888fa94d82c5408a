import { collectDefaultMetrics } from './prometheus/default-metrics.js';
import { Counter, Gauge, Histogram } from './prometheus/metric.js';
import { Registry } from './prometheus/registry.js';
import { createSyncMetrics } from '../sync/metrics.js';

/** Prometheus metrics (DESIGN §8): the UCID spec's three plus the gateway's own. One registry per gateway. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics(registry);
  const registers = [registry];
  return {
    registry,
    ...createSyncMetrics(registers),
    messages: new Counter({ name: 'ucid_streaming_messages_total', help: 'Readings by source and outcome', labelNames: ['source', 'status'], registers }),
    latency: new Histogram({
      name: 'ucid_streaming_latency_seconds', help: 'Arrival to commit latency', labelNames: ['source'], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    connections: new Gauge({ name: 'ucid_streaming_connections', help: 'Open WebSocket connections', labelNames: ['city'], registers }),
    commitSeconds: new Histogram({
      name: 'ucid_store_commit_seconds', help: 'SQLite group-commit duration', registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    }),
    commitBatchReadings: new Histogram({ name: 'ucid_store_commit_batch_readings', help: 'Readings per group commit', registers, buckets: [1, 10, 50, 100, 500, 1000, 5000] }),
    pendingReadings: new Gauge({ name: 'ucid_ingest_pending_readings', help: 'Readings waiting for a commit', registers }),
    // --- disk-full policy (issue 8, docs/pipeline.md "Disk full") ---
    storeRoom: new Gauge({ name: 'ucid_store_room_bytes', help: 'Bytes the database can still take (free pages + filesystem or store.maxSize headroom)', registers }),
    storeFull: new Gauge({ name: 'ucid_store_full', help: '1 while readings are refused (QoS 0 shed) because the room is below store.reserve', registers }),
    storeReclaimed: new Counter({ name: 'ucid_store_reclaimed_readings_total', help: 'Raw readings deleted early to make room (outside the rebuild horizon)', registers }),
    windowsClosed: new Counter({ name: 'ucid_windows_closed_total', help: 'Window results emitted', labelNames: ['kind', 'revised'], registers }),
    scoreUpdates: new Counter({ name: 'ucid_score_updates_total', help: 'ScoreUpdate events', labelNames: ['context'], registers }),
    quarantined: new Counter({ name: 'ucid_quarantine_total', help: 'Inputs kept in quarantine', labelNames: ['source'], registers }),
    driverErrors: new Counter({ name: 'ucid_driver_errors_total', help: 'Driver errors by kind', labelNames: ['driver', 'kind'], registers }),
    driverUp: new Gauge({ name: 'ucid_driver_up', help: '1 when the driver instance is up', labelNames: ['driver', 'type'], registers }),
    alerts: new Counter({ name: 'ucid_alerts_total', help: 'Alert events by kind, level and state', labelNames: ['kind', 'level', 'state'], registers }),
    brokerClients: new Gauge({ name: 'ucid_broker_clients', help: 'Connected MQTT clients', registers }),
    // --- service and MQTT security (issue 7) ---
    mqttRefused: new Counter({ name: 'ucid_mqtt_refused_total', help: 'MQTT connections, publishes and subscriptions refused, by reason', labelNames: ['reason'], registers }),
    mqttThrottled: new Counter({ name: 'ucid_mqtt_throttled_total', help: 'Publishes delayed by the per-client rate limit', registers }),
    ready: new Gauge({ name: 'ucid_gateway_ready', help: '1 between readiness and the start of shutdown', registers }),
    watchdogFeeds: new Counter({ name: 'ucid_watchdog_feeds_total', help: 'WATCHDOG=1 sent to systemd', registers }),
    pipelineStalled: new Gauge({ name: 'ucid_pipeline_stalled', help: '1 while pending readings have gone uncommitted past the stall threshold', registers }),
    logLinesDropped: new Counter({ name: 'ucid_log_lines_dropped_total', help: 'Log lines dropped because stdout did not take them (4 MiB already waiting)', registers }),
    configReloads: new Counter({ name: 'ucid_config_reloads_total', help: 'SIGHUP reloads by result', labelNames: ['result'], registers }),
    stageSeconds: new Histogram({
      name: 'ucid_pipeline_stage_seconds', help: 'Pipeline stage duration per batch (persist+windows, scores+alerts; the whole commit is ucid_store_commit_seconds), tick, rebuild, retention', labelNames: ['stage'], registers,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;
