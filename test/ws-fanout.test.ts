import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Reading } from '../gateway/reading.js';
import { eventually } from './support/gateway-process.js';
import { startHarness } from './support/http-harness.js';

type Message = { type: string; sensor_id?: string; metric?: string; value?: number };

const reading = (sensorId: string, metric: string, value: number): Reading => ({
  sensorId, metric, value, unit: 'ugm3', ts: Date.now(), quality: 'good', source: 'test', receivedAt: Date.now(),
});

async function client(port: number, subscribe: object): Promise<{ ws: WebSocket; got: Message[] }> {
  const got: Message[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/ucid/IST`);
  ws.on('message', (data) => got.push(JSON.parse(String(data)) as Message));
  await eventually(() => got.some((m) => m.type === 'initial'));
  ws.send(JSON.stringify({ type: 'subscribe', ...subscribe }));
  await eventually(() => got.some((m) => m.type === 'subscribed'));
  return { ws, got };
}

describe('reading fan-out to clients with the same and with different subscriptions', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  let clients: Array<{ ws: WebSocket; got: Message[] }>;

  beforeAll(async () => {
    h = await startHarness();
    clients = [
      await client(h.port, { readings: true }),
      await client(h.port, { readings: true }),
      await client(h.port, { readings: true, sensor: 'b-2', metric: 'pm25' }),
      await client(h.port, { readings: true }),
    ];
  });

  afterAll(async () => {
    for (const c of clients ?? []) c.ws.close();
    await h?.close();
  });

  it('gives every client exactly its own readings, in order, when they share a tick', async () => {
    const sensors = ['a-1', 'b-2', 'c-3'];
    for (let round = 0; round < 50; round++) {
      h.bus.emit('readings', sensors.map((s, i) => reading(s, 'pm25', round * 10 + i)));
      if (round % 10 === 9) await new Promise((r) => setTimeout(r, 5));
    }
    const readingsOf = (c: { got: Message[] }) => c.got.filter((m) => m.type === 'reading').map((m) => `${m.sensor_id}=${m.value}`);
    const all = Array.from({ length: 50 }, (_, round) => sensors.map((s, i) => `${s}=${round * 10 + i}`)).flat();
    await eventually(() => readingsOf(clients[3]!).length === all.length && readingsOf(clients[2]!).length === 50);
    expect(readingsOf(clients[0]!)).toEqual(all);
    expect(readingsOf(clients[1]!)).toEqual(all);
    expect(readingsOf(clients[3]!)).toEqual(all);
    expect(readingsOf(clients[2]!)).toEqual(all.filter((r) => r.startsWith('b-2=')));
  });
});

describe('a client that falls behind the others of its subscription', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  let fast: { ws: WebSocket; got: Message[] };
  let lagging: { ws: WebSocket; got: Message[] };

  beforeAll(async () => {
    h = await startHarness({ limits: { highWaterBytes: 64 * 1024, maxPendingBytes: 8 * 1024 * 1024, maxStallMs: 60_000 } });
    fast = await client(h.port, { readings: true });
    lagging = await client(h.port, { readings: true });
  });

  afterAll(async () => {
    fast?.ws.close();
    lagging?.ws.close();
    await h?.close();
  });

  it('gets the latest of each sensor while the others get every reading, then every reading again once it catches up', async () => {
    const socket = (lagging.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const sensors = 100;
    let seq = 0;
    const emit = () => h.bus.emit('readings', Array.from({ length: sensors }, (_, i) => reading(`lag-${i}`, 'pm25', seq++)));
    for (let batch = 0; batch < 5_000 && (await h.metric('ucid_ws_coalesced_total')) < 1_000; batch++) {
      emit();
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(await h.metric('ucid_ws_coalesced_total')).toBeGreaterThanOrEqual(1_000);
    const lagEnd = seq;
    socket.resume();
    const values = (c: { got: Message[] }) => c.got.filter((m) => m.type === 'reading').map((m) => m.value!);
    await eventually(() => values(lagging).includes(lagEnd - 1), 20_000);
    const latest = (c: { got: Message[] }) => new Map(c.got.filter((m) => m.type === 'reading').map((m) => [m.sensor_id, m.value]));
    expect(latest(lagging)).toEqual(latest(fast));
    expect(values(lagging).length).toBeLessThan(lagEnd);

    const before = values(lagging).length;
    for (let round = 0; round < 20; round++) emit();
    const after = Array.from({ length: 20 * sensors }, (_, i) => lagEnd + i);
    await eventually(() => values(lagging).length === before + after.length);
    expect(values(lagging).slice(before)).toEqual(after);
    expect(values(fast)).toEqual(Array.from({ length: seq }, (_, i) => i));
  });
});

describe('the per-sensor reading throttle', () => {
  const THROTTLE_MS = 200;
  let h: Awaited<ReturnType<typeof startHarness>>;
  let c: { ws: WebSocket; got: Message[] };

  beforeAll(async () => {
    h = await startHarness({ config: { enabled: true, host: '127.0.0.1', port: 0, auth: false, readingThrottle: THROTTLE_MS, statusInterval: 60_000 } });
    c = await client(h.port, { readings: true });
  });

  afterAll(async () => {
    c?.ws.close();
    await h?.close();
  });

  it('sends a sensor at most once per interval, ends on its newest reading, and never shows an older one as the latest', async () => {
    const started = Date.now();
    const base = Date.now();
    for (let i = 0; i < 60; i++) {
      h.bus.emit('readings', [{ ...reading('t-1', 'pm25', i), ts: base + i }, { ...reading('t-1', 'pm25', -1), ts: base - 1_000 }]);
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = Date.now() - started;
    const values = () => c.got.filter((m) => m.type === 'reading' && m.sensor_id === 't-1').map((m) => m.value);
    await eventually(() => values().at(-1) === 59);
    await new Promise((r) => setTimeout(r, 2 * THROTTLE_MS));
    expect(values()[0]).toBe(0);
    expect(values().at(-1)).toBe(59);
    expect(values().length).toBeLessThanOrEqual(Math.ceil(elapsed / THROTTLE_MS) + 2);
    expect(values()).not.toContain(-1);
    expect([...values()].sort((a, b) => a! - b!)).toEqual(values());
  });
});
