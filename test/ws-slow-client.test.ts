import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Reading } from '../gateway/reading.js';
import { eventually } from './support/gateway-process.js';
import { neverReadingClient, scoreUpdate, startHarness } from './support/http-harness.js';

const LIMITS = { highWaterBytes: 64 * 1024, maxPendingBytes: 256 * 1024, maxStallMs: 3_000 };
/** Per client: the socket's buffer stops at the high-water mark (plus one message), the coalesced queue at its limit. */
const PER_CLIENT_BOUND = LIMITS.highWaterBytes + LIMITS.maxPendingBytes + 4 * 1024;
const tick = () => new Promise((r) => setTimeout(r, 1));

const reading = (i: number, value = i): Reading => ({
  sensorId: `flood-${i}`, metric: 'pm25', value, unit: 'ugm3', ts: Date.now(), quality: 'good', source: 'test', receivedAt: Date.now(),
});

describe('a WebSocket client that never reads', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  let good: WebSocket;
  const received: Array<{ type: string; sensor_id?: string; value?: number; score?: number }> = [];

  beforeAll(async () => {
    h = await startHarness({ limits: LIMITS });
    good = new WebSocket(`ws://127.0.0.1:${h.port}/ws/ucid/IST`);
    good.on('message', (data) => received.push(JSON.parse(String(data))));
    await eventually(() => received.some((m) => m.type === 'initial'));
    good.send(JSON.stringify({ type: 'subscribe', readings: true }));
    await eventually(() => received.some((m) => m.type === 'subscribed'));
  });

  afterAll(async () => {
    good?.close();
    await h?.close();
  });

  it('is dropped once its queue is full, server memory stays bounded, and other clients keep receiving', async () => {
    const slow: net.Socket = await neverReadingClient(h.port, [{ type: 'subscribe', readings: true }]);
    await eventually(async () => (await h.metric('ucid_streaming_connections')) === 2);
    let maxQueued = 0;
    let sent = 0;
    for (let batch = 0; batch < 2_000 && (await h.metric('ucid_ws_clients_dropped_total')) === 0; batch++) {
      h.bus.emit('readings', Array.from({ length: 200 }, (_, i) => reading(sent + i)));
      sent += 200;
      maxQueued = Math.max(maxQueued, h.http.hub.queuedBytes());
      await tick();
    }
    expect(await h.metric('ucid_ws_clients_dropped_total')).toBe(1);
    expect(sent * 100).toBeGreaterThan(4 * PER_CLIENT_BOUND);
    expect(maxQueued).toBeLessThanOrEqual(2 * PER_CLIENT_BOUND);
    await eventually(async () => (await h.metric('ucid_streaming_connections')) === 1);

    h.bus.emit('readings', [reading(999_999, 42.5)]);
    await eventually(() => received.some((m) => m.type === 'reading' && m.sensor_id === 'flood-999999' && m.value === 42.5));
    expect(received.filter((m) => m.type === 'reading').length).toBeGreaterThan(1_000);
    slow.destroy();
  });

  it('coalesces updates of the same cell and context to the latest while blocked, then drops a client that makes no progress', async () => {
    const dropsBefore = await h.metric('ucid_ws_clients_dropped_total');
    const slow = await neverReadingClient(h.port);
    await eventually(async () => (await h.metric('ucid_streaming_connections')) === 2);
    const end = Date.UTC(2026, 10, 26, 12, 0);
    let i = 0;
    let maxQueued = 0;
    for (; i < 2_000_000 && (await h.metric('ucid_ws_clients_dropped_total')) === dropsBefore; i++) {
      h.bus.emit('scores', [scoreUpdate('891ec90247bffff', 'CLIMATE', 50 + (i % 40), end)]);
      if (i % 500 === 0) {
        maxQueued = Math.max(maxQueued, h.http.hub.queuedBytes());
        await tick();
      }
    }
    const last = 50 + ((i - 1) % 40);
    expect(JSON.stringify(await h.metrics.registry.getSingleMetric('ucid_ws_clients_dropped_total')?.get())).toContain('"reason":"stalled"');
    expect(await h.metric('ucid_ws_coalesced_total')).toBeGreaterThan(1_000);
    expect(maxQueued).toBeLessThanOrEqual(2 * PER_CLIENT_BOUND);
    await eventually(() => received.filter((m) => m.type === 'score_update').at(-1)?.score === last);
    await eventually(async () => (await h.metric('ucid_streaming_connections')) === 1);
    slow.destroy();
  });
});
