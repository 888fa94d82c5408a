import type { Subscription, WsClient } from './ws-client.js';

export const subscriptionKey = (s: Subscription): string => `${s.city}\u0000${s.context}\u0000${s.readings}\u0000${s.sensor}\u0000${s.metric}`;

/**
 * The clients of one subscription. Updates are collected once per tick, whoever subscribes; at the end of the
 * tick the joined frames are handed to every client that keeps up (one buffer, one write each), and only a
 * client that has fallen behind takes them one by one into its coalescing queue. A reading therefore costs the
 * same with one client or twenty until a client lags.
 */
export class WsGroup {
  readonly clients = new Set<WsClient>();
  private keys: string[] = [];
  private frames: Buffer[] = [];
  private bytes = 0;

  constructor(readonly sub: Subscription) {}

  /** `frame` from `textFrame`; `key` names what it describes, for a lagging client's coalescing. */
  send(key: string, frame: Buffer): void {
    if (this.frames.length === 0) process.nextTick(this.flush);
    this.keys.push(key);
    this.frames.push(frame);
    this.bytes += frame.length;
  }

  /** A client leaving (closed or subscribing anew) still gets what was collected for it. */
  release(client: WsClient): void {
    for (let i = 0; i < this.frames.length; i++) client.send(this.keys[i]!, this.frames[i]!);
  }

  private readonly flush = (): void => {
    const { keys, frames, bytes } = this;
    this.keys = [];
    this.frames = [];
    this.bytes = 0;
    let joined: Buffer | null = null;
    const now = Date.now();
    for (const c of this.clients) {
      if (c.keepsUp()) c.writeJoined((joined ??= frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes)), now);
      else for (let i = 0; i < frames.length; i++) c.send(keys[i]!, frames[i]!);
    }
  };
}
