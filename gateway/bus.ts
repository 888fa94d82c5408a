import { EventEmitter } from 'node:events';
import type { Reading } from './reading.js';
import type { WindowRow } from './store/store.js';
import type { ScoreUpdate } from './pipeline/score-stage.js';
import type { AlertEvent } from './store/alert-store.js';

export type { AlertEvent };

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
