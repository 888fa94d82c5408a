import WebSocket from 'ws';
import { eventually } from './gateway-process.js';

export type Message = { type: string; [key: string]: unknown };

/** A `ws` client that records every message from the gateway, from the first frame on. */
export class WsPeer {
  readonly messages: Message[] = [];
  closeCode: number | null = null;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data)) as Message));
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve((this.closeCode = code))));
  }

  static async open(url: string, options?: WebSocket.ClientOptions): Promise<WsPeer> {
    const peer = new WsPeer(new WebSocket(url, options));
    await peer.opened;
    return peer;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (after `from`) that matches. */
  next(match: (m: Message) => boolean, timeoutMs = 15_000, from = 0): Promise<Message> {
    return eventually(() => this.messages.slice(from).find(match), timeoutMs, 20);
  }

  of(type: string): Message[] {
    return this.messages.filter((m) => m.type === type);
  }

  close(): void {
    this.ws.close();
  }
}

/** Status code of a refused WebSocket upgrade, or 101. */
export function upgradeStatus(url: string, options?: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
}
