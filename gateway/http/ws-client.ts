import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

export interface QueueLimits {
  /** Stop writing to the socket while this much is buffered (ws.bufferedAmount plus this tick's frames). */
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

export const wantsContext = (s: Subscription, context: string | null): boolean =>
  s.context === null || context === null || s.context === context;

export const wantsReading = (s: Subscription, sensorId: string, metric: string): boolean =>
  s.readings && (s.sensor === null || s.sensor === sensorId) && (s.metric === null || s.metric === metric);

/** An unmasked, final text frame (RFC 6455 §5.2), built once per message and shared by every client. */
export function textFrame(json: string): Buffer {
  const n = Buffer.byteLength(json);
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81;
  if (head === 2) frame[1] = n;
  else if (head === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  frame.write(json, head);
  return frame;
}

/**
 * One WebSocket client: its subscription and its outgoing queue. Frames go to the socket while it keeps up,
 * all of one tick in a single write (its subscription's frames joined once for the group: WsGroup); otherwise
 * they wait in a map keyed by what they describe (a cell and context, a sensor and metric, `status`), so a newer
 * update replaces an older one. Memory per client is bounded by `highWaterBytes + maxPendingBytes`; past that, or
 * after `maxStallMs` without progress, it is dropped.
 */
export class WsClient {
  readonly pending = new Map<string, Buffer>();
  pendingBytes = 0;
  alive = true;
  closed = false;
  private lastProgressAt = Date.now();
  private batch: Buffer[] = [];
  private batchBytes = 0;

  constructor(
    readonly ws: WebSocket,
    public sub: Subscription,
    private readonly limits: QueueLimits,
    private readonly onBlocked: (client: WsClient) => void,
    private readonly onDrop: (client: WsClient, reason: string) => void,
    private readonly onCoalesce: () => void,
  ) {}

  /** Nothing waits and the socket is below its high-water mark: frames can go straight out. */
  keepsUp(): boolean {
    return !this.closed && this.pending.size === 0 && this.buffered() < this.limits.highWaterBytes;
  }

  /** A tick's frames of this client's subscription, already joined (WsGroup); only when `keepsUp()`. */
  writeJoined(frames: Buffer, now: number): void {
    if (this.batch.length > 0) this.write(frames);
    else this.openSocket()?.write(frames);
    this.lastProgressAt = now;
  }

  /** `frame` from `textFrame`; `key` names what it describes, for coalescing. */
  send(key: string, frame: Buffer): void {
    if (this.closed) return;
    if (this.pending.size === 0 && this.buffered() < this.limits.highWaterBytes) {
      this.write(frame);
      this.lastProgressAt = Date.now();
      return;
    }
    const previous = this.pending.get(key);
    if (previous) {
      this.pendingBytes -= previous.length;
      this.onCoalesce();
    }
    if (this.pending.size === 0) this.onBlocked(this);
    this.pending.set(key, frame);
    this.pendingBytes += frame.length;
    if (this.pendingBytes > this.limits.maxPendingBytes) this.drop('queue_full');
  }

  /** Writes what the socket takes; true when nothing waits any more. */
  drain(now: number): boolean {
    if (this.closed) return true;
    for (const [key, frame] of this.pending) {
      if (this.buffered() >= this.limits.highWaterBytes) break;
      this.pending.delete(key);
      this.pendingBytes -= frame.length;
      this.write(frame);
      this.lastProgressAt = now;
    }
    if (this.pending.size === 0) return true;
    if (now - this.lastProgressAt > this.limits.maxStallMs) this.drop('stalled');
    return this.closed;
  }

  queuedBytes(): number {
    return this.closed ? 0 : this.pendingBytes + this.buffered();
  }

  drop(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.pendingBytes = 0;
    this.onDrop(this, reason);
    this.ws.terminate();
  }

  private buffered(): number {
    return this.ws.bufferedAmount + this.batchBytes;
  }

  private write(frame: Buffer): void {
    if (this.batch.length === 0) process.nextTick(this.flush);
    this.batch.push(frame);
    this.batchBytes += frame.length;
  }

  /**
   * One write per client per tick, straight to the socket: ws's own send would frame and write every message
   * separately. Control frames (ping, close) still go through ws; nothing is written once it is closing.
   */
  private readonly flush = (): void => {
    const frames = this.batch;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    this.openSocket()?.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
  };

  private openSocket(): Socket | null {
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    return this.closed || this.ws.readyState !== this.ws.OPEN || !socket || socket.destroyed ? null : socket;
  }
}
