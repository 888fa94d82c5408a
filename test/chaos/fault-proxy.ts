import net from 'node:net';

/**
 * A TCP fault proxy for the chaos suite (no tc/netem here): every connection to `port` is relayed to the
 * target, and the relay can be switched at run time to
 *
 * - `pass`  — relay as is;
 * - `stall` — accept and keep connections but move no byte in either direction (a black-holed link: the
 *             peers see no error, only silence, until their own timeouts fire); what was held is relayed
 *             when the mode changes back;
 * - `slow`  — relay with a latency per chunk and a bandwidth cap per direction;
 * - `reset` — reset (RST) every open connection now, and every new one as soon as it is accepted.
 *
 * Backpressure is kept: a side whose queue holds more than `highWater` bytes is paused, so a stall builds
 * up in the kernel's socket buffers the way a real dead link does.
 */
export type FaultMode = 'pass' | 'stall' | 'slow' | 'reset';

export interface SlowOptions {
  /** Added to every chunk, each way. */
  latencyMs: number;
  /** Per direction and connection. */
  bytesPerSec: number;
}

interface Direction {
  from: net.Socket;
  to: net.Socket;
  queue: Array<{ chunk: Buffer; due: number }>;
  queued: number;
  timer: NodeJS.Timeout | null;
  /** Earliest time the next byte may go out under the bandwidth cap. */
  nextFreeAt: number;
  upward: boolean;
  /** The sending side ended cleanly: end the other once the queue is empty. */
  ended: boolean;
}

interface Relay {
  client: net.Socket;
  upstream: net.Socket;
  up: Direction;
  down: Direction;
}

export interface ProxyStats {
  accepted: number;
  resets: number;
  open: number;
  bytesUp: number;
  bytesDown: number;
}

export class FaultProxy {
  private readonly relays = new Set<Relay>();
  private modeNow: FaultMode = 'pass';
  private slow: SlowOptions = { latencyMs: 200, bytesPerSec: 16 * 1024 };
  private readonly counters = { accepted: 0, resets: 0, bytesUp: 0, bytesDown: 0 };

  private constructor(private readonly server: net.Server, readonly port: number, private readonly target: { host: string; port: number }, private readonly highWater: number) {}

  static async start(target: { host?: string; port: number }, options: { port?: number; highWater?: number } = {}): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = net.createServer((socket) => proxy!.accept(socket));
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    proxy = new FaultProxy(server, (server.address() as net.AddressInfo).port, { host: target.host ?? '127.0.0.1', port: target.port }, options.highWater ?? 256 * 1024);
    return proxy;
  }

  get mode(): FaultMode {
    return this.modeNow;
  }

  stats(): ProxyStats {
    return { ...this.counters, open: this.relays.size };
  }

  pass(): void {
    this.setMode('pass');
  }

  stall(): void {
    this.setMode('stall');
  }

  slowDown(options: Partial<SlowOptions> = {}): void {
    this.slow = { ...this.slow, ...options };
    this.setMode('slow');
  }

  /** Resets every open connection; with `keep` (default) new ones are reset too until the mode changes. */
  reset(options: { keep?: boolean } = {}): void {
    this.setMode('reset');
    if (options.keep === false) this.modeNow = 'pass';
  }

  async close(): Promise<void> {
    for (const relay of [...this.relays]) this.destroy(relay, true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private setMode(mode: FaultMode): void {
    this.modeNow = mode;
    for (const relay of [...this.relays]) {
      if (mode === 'reset') this.destroy(relay, true);
      else {
        this.pump(relay.up);
        this.pump(relay.down);
      }
    }
  }

  private accept(client: net.Socket): void {
    this.counters.accepted++;
    if (this.modeNow === 'reset') {
      this.counters.resets++;
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    const direction = (from: net.Socket, to: net.Socket, upward: boolean): Direction => ({ from, to, queue: [], queued: 0, timer: null, nextFreeAt: 0, upward, ended: false });
    const relay: Relay = { client, upstream, up: direction(client, upstream, true), down: direction(upstream, client, false) };
    this.relays.add(relay);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const d of [relay.up, relay.down]) {
      d.from.on('data', (chunk: Buffer) => {
        d.queue.push({ chunk, due: Date.now() + (this.modeNow === 'slow' ? this.slow.latencyMs : 0) });
        d.queued += chunk.length;
        if (d.queued > this.highWater) d.from.pause();
        this.pump(d);
      });
      d.to.on('drain', () => this.pump(d));
    }
    // A clean end on one side is relayed once its queue is empty; an error tears the pair down with a reset.
    const onEnd = (d: Direction) => () => {
      d.ended = true;
      this.pump(d);
    };
    client.on('end', onEnd(relay.up));
    upstream.on('end', onEnd(relay.down));
    const onError = () => this.destroy(relay, true);
    client.on('error', onError);
    upstream.on('error', onError);
    client.on('close', () => this.destroy(relay, false));
    upstream.on('close', () => this.destroy(relay, false));
  }

  private pump(d: Direction): void {
    if (d.timer) return;
    const mode = this.modeNow;
    if (mode === 'stall' || mode === 'reset') return;
    const now = Date.now();
    while (d.queue.length) {
      const head = d.queue[0]!;
      if (mode === 'slow') {
        const at = Math.max(head.due, d.nextFreeAt);
        if (at > now) {
          d.timer = setTimeout(() => {
            d.timer = null;
            this.pump(d);
          }, at - now);
          return;
        }
        // at most 1/20 s worth of bytes per write, so the cap holds for big chunks too
        const slice = Math.max(1, Math.floor(this.slow.bytesPerSec / 20));
        const part = head.chunk.subarray(0, slice);
        if (part.length < head.chunk.length) head.chunk = head.chunk.subarray(slice);
        else d.queue.shift();
        d.nextFreeAt = Math.max(now, d.nextFreeAt) + (part.length / this.slow.bytesPerSec) * 1000;
        if (!this.write(d, part)) return;
        continue;
      }
      d.queue.shift();
      if (!this.write(d, head.chunk)) return;
    }
    if (d.queued <= this.highWater && d.from.isPaused()) d.from.resume();
    if (d.ended && d.queue.length === 0 && !d.to.destroyed) d.to.end();
  }

  /** false: the receiving socket is full, wait for 'drain'. */
  private write(d: Direction, chunk: Buffer): boolean {
    d.queued -= chunk.length;
    if (d.to.destroyed) return false;
    if (d.upward) this.counters.bytesUp += chunk.length;
    else this.counters.bytesDown += chunk.length;
    const ok = d.to.write(chunk);
    if (d.queued <= this.highWater && d.from.isPaused()) d.from.resume();
    return ok;
  }

  private destroy(relay: Relay, reset: boolean): void {
    if (!this.relays.delete(relay)) return;
    for (const d of [relay.up, relay.down]) if (d.timer) clearTimeout(d.timer);
    if (reset) this.counters.resets++;
    for (const socket of [relay.client, relay.upstream]) {
      socket.on('error', () => undefined);
      if (socket.destroyed) continue;
      if (reset && socket.readyState !== 'opening') socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
