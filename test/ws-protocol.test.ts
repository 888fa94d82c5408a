import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUcid } from '../gateway/ucid/codec.js';
import { GatewayProcess, eventually } from './support/gateway-process.js';
import { MINUTE, alignedStart, publishSeries } from './support/http-harness.js';
import { WsPeer, upgradeStatus, type Message } from './support/ws-peer.js';

const TOKEN = 'protocol-test-token-0123456789';

describe('WebSocket API /ws/ucid/{city} (DESIGN §7) against the built gateway', () => {
  let gateway: GatewayProcess;
  let mqttClient: MqttClient;
  let url: string;
  const start = alignedStart(60);

  beforeAll(async () => {
    gateway = await GatewayProcess.start({
      sensors: [
        { id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' },
        { id: 'stop-1', lat: 41.015, lon: 28.979, contexts: ['TRANSIT'], expectedInterval: '30s' },
      ],
      http: { token: TOKEN, readingThrottle: '0ms' },
    });
    url = `ws://127.0.0.1:${gateway.httpPort}/ws/ucid/IST?token=${TOKEN}`;
    mqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'ws-protocol-test' });
    await publishSeries(mqttClient, 'sensors/pm25/air-1', start, 15, () => 12);
    await publishSeries(mqttClient, 'sensors/delay_s/stop-1', start, 15, () => 150);
    await eventually(() => gateway.query('SELECT 1 FROM scores WHERE window_end = ?', start + 10 * MINUTE).length === 2);
  });

  afterAll(async () => {
    await mqttClient?.endAsync();
    expect(await gateway?.stop()).toBe(0);
  });

  it('sends `initial` on connect: latest score per cell and context, alerts, drivers, sync, broker', async () => {
    const peer = await WsPeer.open(url);
    const initial = await peer.next((m) => m.type === 'initial');
    const data = initial.data as Record<string, any>;
    expect(data.city).toBe('IST');
    expect(data.scores.map((s: Message) => s.context).sort()).toEqual(['CLIMATE', 'TRANSIT']);
    const transit = data.scores.find((s: Message) => s.context === 'TRANSIT');
    expect(transit).toMatchObject({ score: 75, grade: 'B', h3_index: expect.stringMatching(/^[0-9a-f]{15}$/), timestamp: new Date(start + 10 * MINUTE).toISOString() });
    expect(parseUcid(transit.ucid).context).toBe('TRANSIT');
    expect(data.alerts).toEqual(expect.any(Array));
    expect(data.drivers.map((d: Message) => [d.name, d.state])).toContainEqual(['mqtt', 'up']);
    expect(data.sync).toMatchObject({ configured: expect.any(Boolean), backlog_events: expect.any(Number), backlog_bytes: expect.any(Number) });
    expect(data.broker).toMatchObject({ enabled: true, port: gateway.mqttPort, clients: 1 });
    peer.close();
  });

  it('answers ping with pong and filters score_update by the subscribed context', async () => {
    const peer = await WsPeer.open(url);
    await peer.next((m) => m.type === 'initial');
    peer.send({ type: 'ping' });
    expect(await peer.next((m) => m.type === 'pong')).toEqual({ type: 'pong' });

    peer.send({ type: 'subscribe', city: 'IST', context: 'TRANSIT' });
    await peer.next((m) => m.type === 'subscribed');
    const scoped = await peer.next((m) => m.type === 'initial', 5_000, 1);
    expect((scoped.data as { scores: Message[] }).scores.map((s) => s.context)).toEqual(['TRANSIT']);

    await publishSeries(mqttClient, 'sensors/pm25/air-1', start + 15 * MINUTE, 10, () => 40);
    await publishSeries(mqttClient, 'sensors/delay_s/stop-1', start + 15 * MINUTE, 10, () => 600);
    const update = await peer.next((m) => m.type === 'score_update' && m.timestamp === new Date(start + 15 * MINUTE).toISOString());
    expect(update).toMatchObject({ type: 'score_update', city: 'IST', context: 'TRANSIT', score: 75, grade: 'B', confidence: expect.any(Number), previous_score: 75 });
    const next = await peer.next((m) => m.type === 'score_update' && m.timestamp === new Date(start + 20 * MINUTE).toISOString());
    expect(next).toMatchObject({ context: 'TRANSIT', score: 25, grade: 'F', previous_score: 75 });
    expect(parseUcid(next.ucid as string)).toMatchObject({ city: 'IST', context: 'TRANSIT', grade: 'F', h3Index: next.h3_index });
    expect(peer.of('score_update').every((m) => m.context === 'TRANSIT')).toBe(true);
    peer.close();
  });

  it('streams readings on request, all of the city or one sensor and metric', async () => {
    const peer = await WsPeer.open(url);
    await peer.next((m) => m.type === 'initial');
    await mqttClient.publishAsync('sensors/no2/air-1', '30.5', { qos: 1 });
    peer.send({ type: 'subscribe', readings: true });
    await peer.next((m) => m.type === 'subscribed');
    await mqttClient.publishAsync('sensors/no2/air-1', '31.5', { qos: 1 });
    expect(await peer.next((m) => m.type === 'reading' && m.metric === 'no2')).toMatchObject({ sensor_id: 'air-1', value: 31.5, unit: 'ugm3', ts: expect.any(Number) });
    expect(peer.of('reading').some((m) => m.value === 30.5)).toBe(false);
    peer.send({ type: 'subscribe', sensor: 'stop-1', metric: 'delay_s' });
    await peer.next((m) => m.type === 'subscribed');
    const from = peer.messages.length;
    await mqttClient.publishAsync('sensors/no2/air-1', '32.5', { qos: 1 });
    await mqttClient.publishAsync('sensors/delay_s/stop-1', '95', { qos: 1 });
    expect(await peer.next((m) => m.type === 'reading', 15_000, from)).toMatchObject({ sensor_id: 'stop-1', metric: 'delay_s', value: 95 });
    expect(peer.messages.slice(from).some((m) => m.type === 'reading' && m.sensor_id === 'air-1')).toBe(false);
    peer.close();
  });

  it('answers malformed JSON, unknown types, bad fields and binary frames with `error`, and stays open', async () => {
    const peer = await WsPeer.open(url);
    await peer.next((m) => m.type === 'initial');
    const errors: Array<[unknown, string]> = [
      ['{"type": "subscribe", ', 'bad_json'],
      ['[1, 2, 3]', 'bad_message'],
      [{ type: 'unsubscribe_all' }, 'unknown_type'],
      [{ type: 'subscribe', city: 'ISTANBUL' }, 'bad_city'],
      [{ type: 'subscribe', context: 'transit context!' }, 'bad_context'],
      [{ type: 'subscribe', readings: 'yes' }, 'bad_readings'],
    ];
    for (const [message, error] of errors) {
      const from = peer.messages.length;
      peer.send(message);
      expect(await peer.next((m) => m.type === 'error', 5_000, from)).toMatchObject({ type: 'error', error, message: expect.any(String) });
    }
    const from = peer.messages.length;
    peer.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await peer.next((m) => m.type === 'error', 5_000, from)).toMatchObject({ error: 'binary_frame' });
    peer.send({ type: 'ping' });
    await peer.next((m) => m.type === 'pong', 5_000, from);
    expect(peer.closeCode).toBeNull();
    peer.close();
  });

  it('closes a connection that sends a frame over the size limit with 1009, and keeps serving others', async () => {
    const other = await WsPeer.open(url);
    const huge = await WsPeer.open(url);
    huge.send({ type: 'subscribe', context: 'X'.repeat(1024 * 1024) });
    expect(await huge.closed).toBe(1009);
    other.send({ type: 'ping' });
    await other.next((m) => m.type === 'pong');
    const again = await WsPeer.open(url);
    await again.next((m) => m.type === 'initial');
    other.close();
    again.close();
  });

  it('refuses a missing or wrong token with 401 and unknown paths with 404; accepts the token as a Bearer header', async () => {
    const base = `ws://127.0.0.1:${gateway.httpPort}`;
    expect(await upgradeStatus(`${base}/ws/ucid/IST`)).toBe(401);
    expect(await upgradeStatus(`${base}/ws/ucid/IST?token=wrong-token-0123456789`)).toBe(401);
    expect(await upgradeStatus(`${base}/ws/ucid/ISTANBUL?token=${TOKEN}`)).toBe(404);
    expect(await upgradeStatus(`${base}/ws/other?token=${TOKEN}`)).toBe(404);
    expect(await upgradeStatus(`${base}/ws/ucid/IST`, { headers: { authorization: `Bearer ${TOKEN}` } })).toBe(101);
  });

  it('counts open connections per city in ucid_streaming_connections', async () => {
    const metric = async () => {
      const text = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
      return Object.fromEntries([...text.matchAll(/^ucid_streaming_connections\{city="(\w+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
    };
    await eventually(async () => ((await metric()).IST ?? 0) === 0);
    const a = await WsPeer.open(url);
    const b = await WsPeer.open(url);
    const c = await WsPeer.open(`ws://127.0.0.1:${gateway.httpPort}/ws/ucid/ank?token=${TOKEN}`);
    expect((await c.next((m) => m.type === 'initial')).data).toMatchObject({ city: 'ANK', scores: [] });
    await eventually(async () => {
      const m = await metric();
      return m.IST === 2 && m.ANK === 1;
    });
    a.close();
    c.close();
    await eventually(async () => {
      const m = await metric();
      return m.IST === 1 && m.ANK === 0;
    });
    b.close();
  });
});
