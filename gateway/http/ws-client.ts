import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export interface QueueLimits {
  /** Stop writing to the socket while this much is buffered (ws.bufferedAmount). */
  highWaterBytes: number;
  /** Coalesced messages waiting beyond that; past this the client is dropped. */
  maxPendingBytes: number;
  /** A client that takes nothing for this long while messages wait is dropped. */
  maxStallMs: number;
}

export const DEFAULT_LIMITS: QueueLimits = { highWaterBytes: 256 * 1024, maxPendingBytes: 1024 * 1024, maxStallMs: 15_000 };

export interface Subscription {
  city: string;
  context: string | null;
  readings: boolean;
  sensor: string | null;
  metric: string | null;
}

/**
 * One WebSocket client: its subscription and its outgoing queue. Messages go straight to the socket while
 * it keeps up; otherwise they wait in a map keyed by what they describe (a cell and context, a sensor and
 * metric, `status`), so a newer update replaces an older one. Memory per client is bounded by
 * `highWaterBytes + maxPendingBytes`; past that, or after `maxStallMs` without progress, it is dropped.
 */
export class WsClient {
  readonly pending = new Map<string, Buffer>();
  pendingBytes = 0;
  alive = true;
  closed = false;
  private lastProgressAt = Date.now();
  private corked = false;

  constructor(
    readonly ws: WebSocket,
    public sub: Subscription,
    private readonly limits: QueueLimits,
    private readonly onBlocked: (client: WsClient) => void,
    private readonly onDrop: (client: WsClient, reason: string) => void,
    private readonly onCoalesce: () => void,
  ) {}

  wantsContext(context: string | null): boolean {
    return this.sub.context === null || context === null || this.sub.context === context;
  }

  wantsReading(sensorId: string, metric: string): boolean {
    return this.sub.readings && (this.sub.sensor === null || this.sub.sensor === sensorId) && (this.sub.metric === null || this.sub.metric === metric);
  }

  send(key: string, data: Buffer): void {
    if (this.closed) return;
    if (this.pending.size === 0 && this.ws.bufferedAmount < this.limits.highWaterBytes) {
      this.write(data);
      this.lastProgressAt = Date.now();
      return;
    }
    const previous = this.pending.get(key);
    if (previous) {
      this.pendingBytes -= previous.length;
      this.onCoalesce();
    }
    if (this.pending.size === 0) this.onBlocked(this);
    this.pending.set(key, data);
    this.pendingBytes += data.length;
    if (this.pendingBytes > this.limits.maxPendingBytes) this.drop('queue_full');
  }

  /** Writes what the socket takes; true when nothing waits any more. */
  drain(now: number): boolean {
    if (this.closed) return true;
    for (const [key, data] of this.pending) {
      if (this.ws.bufferedAmount >= this.limits.highWaterBytes) break;
      this.pending.delete(key);
      this.pendingBytes -= data.length;
      this.write(data);
      this.lastProgressAt = now;
    }
    if (this.pending.size === 0) return true;
    if (now - this.lastProgressAt > this.limits.maxStallMs) this.drop('stalled');
    return this.closed;
  }

  /** Frames sent in one tick leave in one write: the socket is corked until the tick ends. */
  private write(data: Buffer): void {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (socket && !this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    this.ws.send(data, { binary: false });
  }

  queuedBytes(): number {
    return this.closed ? 0 : this.pendingBytes + this.ws.bufferedAmount;
  }

  drop(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.pendingBytes = 0;
    this.onDrop(this, reason);
    this.ws.terminate();
  }
}
