import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { GatewayBus } from '../../gateway/bus.js';
import { HttpServer, type HttpDeps } from '../../gateway/http/server.js';
import { createMetrics } from '../../gateway/metrics.js';
import type { ScoreUpdate } from '../../gateway/pipeline/score-stage.js';
import { Store } from '../../gateway/store/store.js';

/** The HTTP server and WebSocket hub in-process over a real store, with a bus the test drives. */
export async function startHarness(overrides: Partial<HttpDeps> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ucid-http-'));
  const store = new Store(path.join(dir, 'gateway.db'));
  const bus = new GatewayBus();
  const metrics = createMetrics();
  const http = await HttpServer.start({
    config: { enabled: true, host: '127.0.0.1', port: 0, auth: false, readingThrottle: 0, statusInterval: 60_000 },
    dataDir: dir, defaultCity: 'IST', bus, store, metrics, log: pino({ level: 'silent' }),
    cityOf: () => 'IST',
    status: () => ({
      gatewayId: 'gw-harness', city: 'IST', startedAt: Date.now(), ready: true, drivers: [],
      broker: { enabled: false, port: null, clients: 0 },
      sync: { enabled: false, state: 'disabled', backlog: { events: 0, bytes: 0, oldestCreatedAt: null }, lastError: null, lastDelivery: null },
    }),
    alertSource: () => null, ready: () => true,
    ...overrides,
  });
  return {
    dir, store, bus, metrics, http, port: http.port,
    async metric(name: string): Promise<number> {
      const m = await metrics.registry.getSingleMetric(name)?.get();
      return (m?.values ?? []).reduce((sum, v) => sum + v.value, 0);
    },
    async close() {
      await http.close();
      store.close();
    },
  };
}

export function scoreUpdate(h3Index: string, context: string, score: number, windowEnd: number): ScoreUpdate {
  return {
    h3Index, context, windowEnd, windowStart: windowEnd - 300_000, city: 'IST', revision: 0, score, grade: 'B', confidence: 0.9, flags: '',
    ucid: `UCID-V1:IST:+41.015:+28.979:9:${h3Index}:2026W48T12:${context}:B:0.90:`, eventId: `e-${h3Index}-${context}-${windowEnd}-${score}`,
    computedAt: windowEnd, flagList: [], key: `IST:${h3Index}:${context}`, correlationId: `test/${h3Index}`,
  };
}

/** A client-to-server (masked) text frame, for payloads under 126 bytes. */
function maskedFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

/** A WebSocket client that completes the handshake, sends `messages`, and then never reads another byte. */
export async function neverReadingClient(port: number, messages: object[] = [], urlPath = '/ws/ucid/IST'): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`GET ${urlPath} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.once('data', (chunk: Buffer) => {
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 101')) reject(new Error(`handshake refused: ${chunk.toString('latin1').split('\r\n')[0]}`));
      else resolve();
    });
  });
  socket.pause();
  socket.on('error', () => undefined);
  for (const m of messages) socket.write(maskedFrame(JSON.stringify(m)));
  return socket;
}

export const MINUTE = 60_000;

/** A 5-minute-aligned start `minutesAgo` back, so tumbling windows from there close as soon as later readings arrive. */
export function alignedStart(minutesAgo: number): number {
  return Math.floor((Date.now() - minutesAgo * MINUTE) / (5 * MINUTE)) * 5 * MINUTE;
}

/** Publishes one reading every 30 s of event time over `minutes` from `start` (QoS 1, so each is committed). */
export async function publishSeries(client: { publishAsync(topic: string, payload: string, opts: { qos: 1 }): Promise<unknown> },
  topic: string, start: number, minutes: number, value: (ts: number) => number): Promise<void> {
  const publishes: Promise<unknown>[] = [];
  for (let ts = start; ts < start + minutes * MINUTE; ts += 30_000) {
    publishes.push(client.publishAsync(topic, JSON.stringify({ value: value(ts), ts }), { qos: 1 }));
  }
  await Promise.all(publishes);
}
