import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { AlertEvent, GatewayBus } from '../bus.js';
import { errorMessage } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { ScoreUpdate } from '../pipeline/score-stage.js';
import type { Reading } from '../reading.js';
import type { RecentReading } from '../store/dashboard-queries.js';
import type { Store } from '../store/store.js';
import { LiveState, type SeriesEntry } from './live-state.js';
import { alertFields, parseClientMessage, readingFields, readingMessage, scoreFields, statusFields } from './messages.js';
import type { AlertSource, StatusSnapshot } from './status.js';
import { DEFAULT_LIMITS, WsClient, textFrame, wantsContext, wantsReading, type QueueLimits } from './ws-client.js';
import { WsGroup, subscriptionKey } from './ws-group.js';
import { createWsMetrics, type WsMetrics } from './ws-metrics.js';

export interface HubOptions {
  bus: GatewayBus;
  store: Store;
  metrics: GatewayMetrics;
  log: Logger;
  cityOf(sensorId: string): string;
  status(): Omit<StatusSnapshot, 'websocketClients'>;
  alertSource(): AlertSource | null;
  readingThrottleMs: number;
  statusIntervalMs: number;
  limits?: Partial<QueueLimits>;
  /** Largest client frame accepted; larger closes the connection with 1009. */
  maxPayload?: number;
  maxClients?: number;
}

const HEARTBEAT_MS = 30_000;
const DRAIN_MS = 20;
const ALERT_HISTORY = 50;
/** The most recently updated sensor series in `initial` (all of them: /api/sensors). */
const INITIAL_SENSORS = 2_000;
const json = (value: unknown) => textFrame(JSON.stringify(value));

/** The `/ws/ucid/{city}` WebSocket API (DESIGN §7): fans bus events out to subscribed clients. */
export class WsHub {
  readonly state: LiveState;
  private readonly wss: WebSocketServer;
  /** city → subscription key → the clients subscribed exactly so */
  private readonly byCity = new Map<string, Map<string, WsGroup>>();
  private readonly blocked = new Set<WsClient>();
  private readonly held = new Set<SeriesEntry>();
  private readonly limits: QueueLimits;
  private readonly ws: WsMetrics;
  private readonly timers: NodeJS.Timeout[] = [];
  private drainTimer: NodeJS.Timeout | null = null;
  private lastStatus = '';
  private clients = 0;

  constructor(private readonly o: HubOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.state = new LiveState(o.store, o.cityOf);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload ?? 16 * 1024, perMessageDeflate: false, clientTracking: false });
    this.ws = createWsMetrics(o.metrics.registry, () => this.queuedBytes());
    o.bus.on('scores', this.onScores);
    o.bus.on('readings', this.onReadings);
    o.bus.on('alerts', this.onAlerts);
    if (o.readingThrottleMs > 0) this.timers.push(setInterval(() => this.flushHeld(Date.now()), Math.max(50, o.readingThrottleMs / 4)));
    this.timers.push(setInterval(() => this.pushStatus(), o.statusIntervalMs));
    this.timers.push(setInterval(() => this.heartbeat(), HEARTBEAT_MS));
  }

  get clientCount(): number {
    return this.clients;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, city: string): void {
    if (this.clients >= (this.o.maxClients ?? 256)) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(ws, city));
  }

  private attach(ws: WebSocket, city: string): void {
    const client = new WsClient(ws, { city, context: null, readings: false, sensor: null, metric: null }, this.limits,
      (c) => this.block(c), (_c, reason) => this.ws.dropped.inc({ reason }), () => this.ws.coalesced.inc());
    this.join(client);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(client, data, isBinary));
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('error', (err) => this.o.log.debug({ err: errorMessage(err) }, 'websocket client error'));
    ws.on('close', () => {
      client.closed = true;
      this.leave(client);
      this.blocked.delete(client);
    });
    this.sendInitial(client);
  }

  private join(client: WsClient): void {
    let groups = this.byCity.get(client.sub.city);
    if (!groups) this.byCity.set(client.sub.city, (groups = new Map()));
    const key = subscriptionKey(client.sub);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = new WsGroup({ ...client.sub })));
    group.clients.add(client);
    this.clients++;
    this.o.metrics.connections.inc({ city: client.sub.city });
  }

  private leave(client: WsClient): void {
    const groups = this.byCity.get(client.sub.city);
    const key = subscriptionKey(client.sub);
    const group = groups?.get(key);
    if (!groups || !group?.clients.delete(client)) return;
    group.release(client);
    if (group.clients.size === 0) groups.delete(key);
    if (groups.size === 0) this.byCity.delete(client.sub.city);
    this.clients--;
    this.o.metrics.connections.dec({ city: client.sub.city });
  }

  private *everyClient(): Generator<WsClient> {
    for (const groups of this.byCity.values()) for (const g of groups.values()) yield* g.clients;
  }

  private onMessage(client: WsClient, data: RawData, isBinary: boolean): void {
    const parsed = parseClientMessage(data, isBinary);
    if (!parsed.ok) {
      this.ws.clientErrors.inc({ error: parsed.error });
      client.send('error', json({ type: 'error', error: parsed.error, message: parsed.message }));
      return;
    }
    const m = parsed.message;
    if (m.type === 'ping') return client.send('pong', json({ type: 'pong' }));
    const scopeChanged = (m.city !== undefined && m.city !== client.sub.city) || m.context !== client.sub.context;
    this.leave(client);
    client.sub = { city: m.city ?? client.sub.city, context: m.context, readings: m.readings, sensor: m.sensor, metric: m.metric };
    this.join(client);
    client.send('subscribed', json({ type: 'subscribed', ...client.sub }));
    if (scopeChanged) this.sendInitial(client);
  }

  private sendInitial(client: WsClient): void {
    const { city, context } = client.sub;
    const alerts = this.alerts(city);
    client.send('initial', json({
      type: 'initial',
      data: {
        ...statusFields(this.snapshot()),
        city, context, server_time: new Date().toISOString(),
        scores: this.state.latestScores(city, context).map((s) => scoreFields(s.row, s.previous)),
        alerts: alerts.active.filter((a) => wantsContext(client.sub, a.context ?? null)).map(alertFields),
        alert_history: alerts.history.map(alertFields),
        sensors: this.state.latestReadings(city).slice(-INITIAL_SENSORS).map(readingFields),
      },
    }));
  }

  alerts(city?: string): { active: AlertEvent[]; history: AlertEvent[] } {
    try {
      return this.state.alerts(this.o.alertSource(), city, ALERT_HISTORY);
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'alert source failed');
      return this.state.alerts(null, city, ALERT_HISTORY);
    }
  }

  snapshot(): StatusSnapshot {
    return { ...this.o.status(), websocketClients: this.clients };
  }

  private readonly onScores = (updates: readonly ScoreUpdate[]): void => this.guard('scores', () => {
    for (const u of updates) {
      const previous = this.state.noteScore(u);
      const groups = this.byCity.get(u.city);
      if (!groups) continue;
      let data: Buffer | null = null;
      for (const g of groups.values()) {
        if (wantsContext(g.sub, u.context)) g.send(`s|${u.h3Index}|${u.context}`, (data ??= json({ type: 'score_update', ...scoreFields(u, previous) })));
      }
    }
  });

  private readonly onAlerts = (events: readonly AlertEvent[]): void => this.guard('alerts', () => {
    for (const e of events) this.broadcastAlert(e);
  });

  /** Also used when an alert is acknowledged through the API. */
  broadcastAlert(e: AlertEvent): void {
    this.state.noteAlert(e);
    const groups = this.byCity.get(e.city);
    if (!groups) return;
    const data = json({ type: 'alert', ...alertFields(e) });
    for (const g of groups.values()) if (wantsContext(g.sub, e.context ?? null)) g.send(`a|${e.eventId}`, data);
  }

  private readonly onReadings = (readings: readonly Reading[]): void => this.guard('readings', () => {
    const now = Date.now();
    const throttle = this.o.readingThrottleMs;
    for (const r of readings) {
      const series = this.state.noteReading(r);
      if (this.clients === 0) continue;
      if (now - series.emittedAt < throttle) {
        // an older reading than the series holds is dropped: the newer one is, or will be, shown
        if (series.ts === r.ts) this.held.add(series);
        continue;
      }
      series.emittedAt = now;
      this.held.delete(series);
      this.emitReading(series.key, r);
    }
  });

  private emitReading(key: string, r: RecentReading): void {
    const groups = this.byCity.get(this.o.cityOf(r.sensorId));
    if (!groups) return;
    let data: Buffer | null = null;
    for (const g of groups.values()) {
      if (wantsReading(g.sub, r.sensorId, r.metric)) g.send(key, (data ??= textFrame(readingMessage(r))));
    }
  }

  private flushHeld(now: number): void {
    this.guard('throttle', () => {
      for (const series of this.held) {
        if (now - series.emittedAt < this.o.readingThrottleMs) continue;
        this.held.delete(series);
        series.emittedAt = now;
        this.emitReading(series.key, series);
      }
    });
  }

  private block(client: WsClient): void {
    this.blocked.add(client);
    this.drainTimer ??= setInterval(() => {
      const now = Date.now();
      for (const c of this.blocked) if (c.drain(now)) this.blocked.delete(c);
      if (this.blocked.size === 0 && this.drainTimer) {
        clearInterval(this.drainTimer);
        this.drainTimer = null;
      }
    }, DRAIN_MS);
  }

  private pushStatus(): void {
    if (this.clients === 0) return;
    this.guard('status', () => {
      const fields = statusFields(this.snapshot());
      const text = JSON.stringify(fields);
      if (text === this.lastStatus) return;
      this.lastStatus = text;
      const data = json({ type: 'status', data: fields });
      for (const groups of this.byCity.values()) for (const g of groups.values()) g.send('status', data);
    });
  }

  private heartbeat(): void {
    for (const c of this.everyClient()) {
      if (!c.alive) {
        c.drop('no_pong');
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  queuedBytes(): number {
    let total = 0;
    for (const c of this.everyClient()) total += c.queuedBytes();
    return total;
  }

  private guard(what: string, work: () => void): void {
    try {
      work();
    } catch (err) {
      this.o.log.error({ err: errorMessage(err), what }, 'websocket fan-out failed');
    }
  }

  /** Closes every client with 1001 (going away); they reconnect to the next process. */
  async close(): Promise<void> {
    this.o.bus.off('scores', this.onScores);
    this.o.bus.off('readings', this.onReadings);
    this.o.bus.off('alerts', this.onAlerts);
    for (const t of this.timers) clearInterval(t);
    if (this.drainTimer) clearInterval(this.drainTimer);
    const open = [...this.everyClient()];
    await Promise.all(open.map((c) => new Promise<void>((resolve) => {
      if (c.ws.readyState === c.ws.CLOSED) return resolve();
      const timer = setTimeout(() => {
        c.ws.terminate();
        resolve();
      }, 1_000);
      c.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      c.ws.close(1001, 'gateway stopping');
    })));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
