import type { DriverState } from '../../drivers/driver.js';
import { eventId } from '../events/event-id.js';
import { TOPICS } from '../events/topics.js';
import type { Reading } from '../reading.js';
import type { ScoreUpdate } from '../pipeline/score-stage.js';
import type { SensorDirectory } from '../pipeline/sensor-directory.js';
import type { AlertEvent, AlertStateRow, AlertStore } from '../store/alert-store.js';
import type { Store } from '../store/store.js';
import { AnomalyDetector } from './anomaly.js';
import type { AlertsConfig, ThresholdRule } from './schema.js';
import { evaluateThreshold, type ThresholdState } from './threshold.js';

export const ALERT_SCHEMA = 'ucid.alert.v1';

interface AlertStageOptions {
  gatewayId: string;
  city: string;
  startedAt: number;
}

type Subject = Pick<AlertStateRow, 'key' | 'kind' | 'rule' | 'city' | 'context' | 'sensorId' | 'metric'>;

/**
 * DESIGN §5 alerts, evaluated offline inside the same SQLite transaction as the readings and scores that
 * trigger them: state per key, the event in the history, its outbox row (Kafka `ucid.alerts`) and its
 * webhook deliveries commit together, so a restart neither re-raises nor forgets an active alert.
 */
export class AlertStage {
  private states = new Map<string, AlertStateRow>();
  private readonly metricRules = new Map<string, ThresholdRule[]>();
  private readonly scoreRules = new Map<string, ThresholdRule[]>();
  private readonly anomaly: AnomalyDetector;
  private readonly lastSeen = new Map<string, number>();
  private readonly driverStates = new Map<string, DriverState>();
  private readonly lastScoreWindow = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly alertStore: AlertStore,
    private readonly directory: SensorDirectory,
    private readonly config: AlertsConfig,
    private readonly options: AlertStageOptions,
  ) {
    for (const rule of config.thresholds) {
      const index = rule.on === 'metric' ? this.metricRules : this.scoreRules;
      const by = rule.on === 'metric' ? rule.metric! : rule.context;
      index.set(by, [...(index.get(by) ?? []), rule]);
    }
    this.anomaly = new AnomalyDetector({ ...config.anomaly, cooldownMs: config.anomaly.cooldown });
    for (const sensor of directory.all()) this.lastSeen.set(sensor.sensorId, options.startedAt);
    this.reload();
  }

  /** After a failed commit the in-memory state may be ahead of the store: read it back. */
  reload(): void {
    this.states = new Map(this.alertStore.states().map((row) => [row.key, row]));
  }

  onReadings(readings: readonly Reading[]): AlertEvent[] {
    const events: AlertEvent[] = [];
    const watchAll = this.config.anomaly.metrics.length === 0;
    for (const r of readings) {
      const city = this.directory.lookup(r.sensorId)?.city ?? this.options.city;
      if (this.lastSeen.has(r.sensorId)) {
        this.lastSeen.set(r.sensorId, r.receivedAt);
        const down = this.states.get(`down|sensor:${r.sensorId}`);
        if (down?.level) events.push(this.clear(down, r.receivedAt, `sensor ${r.sensorId} is reporting again`));
      }
      for (const rule of this.metricRules.get(r.metric) ?? []) {
        const subject: Subject = { key: `${rule.name}|${r.sensorId}`, kind: 'ThresholdAlert', rule: rule.name, city, context: rule.context, sensorId: r.sensorId, metric: r.metric };
        const event = this.threshold(rule, subject, r.value, r.ts, `${r.metric} ${r.value} at ${r.sensorId}`);
        if (event) events.push(event);
      }
      if (this.config.anomaly.enabled && r.quality !== 'bad' && (watchAll || this.config.anomaly.metrics.includes(r.metric))) {
        const finding = this.anomaly.observe(`${r.sensorId}|${r.metric}`, r.value, r.ts);
        if (finding) {
          const key = `anomaly|${r.sensorId}:${r.metric}`;
          events.push(this.record({
            eventId: eventId(this.options.gatewayId, 'AnomalyDetected', key, r.ts, 0), kind: 'AnomalyDetected', state: 'raised', level: 'warning',
            key, city, sensorId: r.sensorId, metric: r.metric, value: r.value, at: r.ts,
            message: `${r.metric} ${r.value} at ${r.sensorId} is ${finding.z.toFixed(1)} standard deviations from its recent mean ${finding.mean.toFixed(2)}`,
          }));
        }
      }
    }
    return events;
  }

  onScores(updates: readonly ScoreUpdate[]): AlertEvent[] {
    const events: AlertEvent[] = [];
    for (const u of updates) {
      for (const rule of this.scoreRules.get(u.context) ?? []) {
        const key = `${rule.name}|${u.city}:${u.h3Index}`;
        if ((this.lastScoreWindow.get(key) ?? -Infinity) > u.windowEnd) continue;
        this.lastScoreWindow.set(key, u.windowEnd);
        const subject: Subject = { key, kind: 'ThresholdAlert', rule: rule.name, city: u.city, context: u.context, sensorId: null, metric: null };
        const event = this.threshold(rule, subject, u.score, u.windowEnd, `${u.context} score ${u.score} in cell ${u.h3Index}`);
        if (event) events.push(event);
      }
    }
    return events;
  }

  noteDriverState(name: string, state: DriverState): void {
    this.driverStates.set(name, state);
  }

  /** DataSourceDown: registered sensors silent for k × their interval, and drivers that lost their connection. */
  onTick(nowMs: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    for (const [sensorId, seen] of this.lastSeen) {
      const sensor = this.directory.lookup(sensorId)!;
      const key = `down|sensor:${sensorId}`;
      const silentMs = nowMs - seen;
      if (silentMs > this.config.dataSourceDown.silenceIntervals * sensor.expectedIntervalMs && !this.states.get(key)?.level) {
        const subject: Subject = { key, kind: 'DataSourceDown', rule: 'silence', city: sensor.city, context: null, sensorId, metric: null };
        events.push(this.raise(subject, 'warning', nowMs, `sensor ${sensorId} silent for ${Math.round(silentMs / 1000)} s`));
      }
    }
    for (const [name, state] of this.driverStates) {
      const key = `down|driver:${name}`;
      const active = this.states.get(key);
      if (state === 'down' && !active?.level) {
        const subject: Subject = { key, kind: 'DataSourceDown', rule: 'driver', city: this.options.city, context: null, sensorId: null, metric: null };
        events.push(this.raise(subject, 'critical', nowMs, `driver ${name} lost its connection`));
      } else if (state === 'up' && active?.level) {
        events.push(this.clear(active, nowMs, `driver ${name} is up again`));
      }
    }
    // kept (not cleared): a tick whose commit fails reloads the alert state, and the next tick must see the driver down again
    return events;
  }

  private threshold(rule: ThresholdRule, subject: Subject, value: number, ts: number, what: string): AlertEvent | null {
    const row = this.states.get(subject.key) ?? this.emptyRow(subject);
    const current: ThresholdState = {
      level: row.level === 'info' ? null : row.level, since: row.since, pendingTarget: row.pendingTarget as ThresholdState['pendingTarget'],
      pendingCount: row.pendingCount, pendingSince: row.pendingSince,
    };
    const { next, transition } = evaluateThreshold(rule, current, value, ts);
    if (next === current) return null;
    const updated: AlertStateRow = { ...row, ...next, lastValue: value };
    if (!transition) {
      this.save(updated);
      return null;
    }
    const verb = transition.state === 'cleared' ? `back past ${transition.threshold} (±${rule.hysteresis})` : `${rule.direction} ${transition.level} ${transition.threshold}`;
    return this.transition(updated, transition.state, transition.level, ts, `${what} ${verb}`, value, transition.threshold);
  }

  private raise(subject: Subject, level: 'warning' | 'critical', at: number, message: string): AlertEvent {
    return this.transition({ ...this.emptyRow(subject), ...(this.states.get(subject.key) ?? {}), level, since: at }, 'raised', level, at, message);
  }

  private clear(row: AlertStateRow, at: number, message: string): AlertEvent {
    return this.transition({ ...row, level: null, since: null }, 'cleared', row.level === 'critical' ? 'critical' : 'warning', at, message);
  }

  private transition(row: AlertStateRow, state: AlertEvent['state'], level: AlertEvent['level'], at: number, message: string, value?: number, threshold?: number): AlertEvent {
    const transitions = row.transitions + 1;
    const id = eventId(this.options.gatewayId, row.kind, row.key, at, transitions);
    this.save({ ...row, transitions, lastEventId: id });
    return this.record({
      eventId: id, kind: row.kind, state, level, key: row.key, city: row.city, at, message,
      ...(row.context ? { context: row.context } : {}), ...(row.sensorId ? { sensorId: row.sensorId } : {}), ...(row.metric ? { metric: row.metric } : {}),
      ...(value !== undefined ? { value } : {}), ...(threshold !== undefined ? { threshold } : {}),
    });
  }

  private record(event: AlertEvent): AlertEvent {
    this.alertStore.insertEvent(event, this.config.historyMaxRows);
    const payload = JSON.stringify({ schema: ALERT_SCHEMA, event_id: event.eventId, gateway_id: this.options.gatewayId, ...event, timestamp: new Date(event.at).toISOString() });
    this.store.insertOutbox({
      eventId: event.eventId, kind: `${event.kind}:${event.state}`, topic: TOPICS.alerts, key: `${event.city}:${event.key}`,
      payload, createdAt: Date.now(), windowEnd: null, compactionKey: null,
    });
    for (const hook of this.config.webhooks) {
      if (hook.kinds.includes(event.kind)) this.alertStore.queueDelivery(event.eventId, hook.url, payload, Date.now());
    }
    return event;
  }

  private save(row: AlertStateRow): void {
    this.states.set(row.key, row);
    this.alertStore.saveState(row);
  }

  private emptyRow(subject: Subject): AlertStateRow {
    return { ...subject, level: null, since: null, pendingTarget: null, pendingCount: 0, pendingSince: null, transitions: 0, lastValue: null, lastEventId: null };
  }
}
