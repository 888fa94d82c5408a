import { EventEmitter } from 'node:events';
import type { Reading } from './reading.js';
import type { WindowRow } from './store/store.js';
import type { ScoreUpdate } from './pipeline/score-stage.js';

/** An alert state change (issue 6); kept in the `alerts` table, forwarded to WebSocket clients as `alert`. */
export interface AlertEvent {
  eventId: string;
  kind: 'ThresholdAlert' | 'AnomalyDetected' | 'DataSourceDown';
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
  /** ms */
  at: number;
  acknowledged?: { by: string; at: number };
}

/** In-process events, emitted only after their commit (DESIGN §5). */
export interface BusEvents {
  readings: [readings: readonly Reading[]];
  windows: [windows: readonly WindowRow[]];
  scores: [updates: readonly ScoreUpdate[]];
  alerts: [events: readonly AlertEvent[]];
}

export class GatewayBus extends EventEmitter<BusEvents> {
  constructor() {
    super();
    this.setMaxListeners(100);
  }
}
