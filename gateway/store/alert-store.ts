import type { SqliteDatabase } from './database.js';

export type AlertKind = 'ThresholdAlert' | 'AnomalyDetected' | 'DataSourceDown';

/** An alert event as the bus, the dashboard, MQTT, webhooks and Kafka see it (DESIGN §5). */
export interface AlertEvent {
  eventId: string;
  kind: AlertKind;
  state: 'raised' | 'escalated' | 'cleared';
  level: 'warning' | 'critical' | 'info';
  key: string;
  city: string;
  context?: string;
  sensorId?: string;
  metric?: string;
  value?: number;
  threshold?: number;
  message: string;
  at: number;
  acknowledged?: { by: string; at: number };
}

export interface AlertStateRow {
  key: string;
  kind: AlertKind;
  rule: string;
  city: string;
  context: string | null;
  sensorId: string | null;
  metric: string | null;
  level: 'warning' | 'critical' | 'info' | null;
  since: number | null;
  pendingTarget: string | null;
  pendingCount: number;
  pendingSince: number | null;
  transitions: number;
  lastValue: number | null;
  lastEventId: string | null;
}

const STATE_COLUMNS = `key, kind, rule, city, context, sensor_id AS sensorId, metric, level, since, pending_target AS pendingTarget,
  pending_count AS pendingCount, pending_since AS pendingSince, transitions, last_value AS lastValue, last_event_id AS lastEventId`;
const eventColumns = (t: string) => `${t}.event_id AS eventId, ${t}.kind, ${t}.state, ${t}.level, ${t}.key, ${t}.city, ${t}.context,
  ${t}.sensor_id AS sensorId, ${t}.metric, ${t}.value, ${t}.threshold, ${t}.message, ${t}.at, ${t}.ack_by AS ackBy, ${t}.ack_at AS ackAt`;

type EventRow = Omit<AlertEvent, 'acknowledged'> & { ackBy: string | null; ackAt: number | null };

const toEvent = ({ ackBy, ackAt, ...row }: EventRow): AlertEvent => {
  const event: AlertEvent = { ...row };
  for (const k of ['context', 'sensorId', 'metric', 'value', 'threshold'] as const) if (event[k] === null) delete event[k];
  if (ackBy) event.acknowledged = { by: ackBy, at: ackAt! };
  return event;
};

/** Alert state per key (survives restarts), the alert history, and webhook deliveries. */
export class AlertStore {
  private readonly statements;

  constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      allStates: db.prepare(`SELECT ${STATE_COLUMNS} FROM alert_state`),
      upsertState: db.prepare(`INSERT OR REPLACE INTO alert_state (key, kind, rule, city, context, sensor_id, metric, level, since, pending_target,
        pending_count, pending_since, transitions, last_value, last_event_id) VALUES (@key, @kind, @rule, @city, @context, @sensorId, @metric,
        @level, @since, @pendingTarget, @pendingCount, @pendingSince, @transitions, @lastValue, @lastEventId)`),
      insertEvent: db.prepare(`INSERT OR IGNORE INTO alert_events (event_id, kind, state, level, key, city, context, sensor_id, metric, value,
        threshold, message, at) VALUES (@eventId, @kind, @state, @level, @key, @city, @context, @sensorId, @metric, @value, @threshold, @message, @at)`),
      trimEvents: db.prepare('DELETE FROM alert_events WHERE id <= (SELECT max(id) FROM alert_events) - ?'),
      history: db.prepare(`SELECT ${eventColumns('e')} FROM alert_events e WHERE (@key IS NULL OR key = @key) ORDER BY id DESC LIMIT @limit`),
      active: db.prepare(`SELECT ${eventColumns('e')} FROM alert_events e JOIN alert_state s ON s.last_event_id = e.event_id
        WHERE s.level IS NOT NULL ORDER BY e.at DESC`),
      ackEvent: db.prepare('UPDATE alert_events SET ack_by = ?, ack_at = ? WHERE event_id = ?'),
      ackState: db.prepare('UPDATE alert_state SET ack_by = ?, ack_at = ? WHERE last_event_id = ?'),
      insertDelivery: db.prepare('INSERT OR IGNORE INTO webhook_deliveries (event_id, url, body, next_attempt_at) VALUES (?, ?, ?, ?)'),
      dueDeliveries: db.prepare(`SELECT id, event_id AS eventId, url, body, attempts FROM webhook_deliveries
        WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?`),
      delivered: db.prepare('UPDATE webhook_deliveries SET delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?'),
      deliveryFailed: db.prepare('UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?'),
    };
  }

  states(): AlertStateRow[] {
    return this.statements.allStates.all() as AlertStateRow[];
  }

  saveState(row: AlertStateRow): void {
    this.statements.upsertState.run(row);
  }

  insertEvent(event: AlertEvent, historyMaxRows: number): void {
    this.statements.insertEvent.run({ context: null, sensorId: null, metric: null, value: null, threshold: null, ...event });
    this.statements.trimEvents.run(historyMaxRows);
  }

  history(options: { key?: string; limit?: number } = {}): AlertEvent[] {
    return (this.statements.history.all({ key: options.key ?? null, limit: options.limit ?? 100 }) as EventRow[]).map(toEvent);
  }

  /** The last event of every key whose alert is active. */
  active(): AlertEvent[] {
    return (this.statements.active.all() as EventRow[]).map(toEvent);
  }

  /** Records who acknowledged an alert event and when; false if there is no such event. */
  acknowledge(eventId: string, by: string, at: number): boolean {
    return this.db.transaction(() => {
      const changed = this.statements.ackEvent.run(by, at, eventId).changes;
      this.statements.ackState.run(by, at, eventId);
      return changed === 1;
    })();
  }

  queueDelivery(eventId: string, url: string, body: string, at: number): void {
    this.statements.insertDelivery.run(eventId, url, body, at);
  }

  dueDeliveries(nowMs: number, limit: number): Array<{ id: number; eventId: string; url: string; body: string; attempts: number }> {
    return this.statements.dueDeliveries.all(nowMs, limit) as Array<{ id: number; eventId: string; url: string; body: string; attempts: number }>;
  }

  markDelivered(id: number, at: number): void {
    this.statements.delivered.run(at, id);
  }

  markFailed(id: number, retryAt: number, error: string): void {
    this.statements.deliveryFailed.run(retryAt, error, id);
  }
}
