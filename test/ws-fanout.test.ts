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
