import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess, eventually } from './support/gateway-process.js';
import { MINUTE, alignedStart, publishSeries } from './support/http-harness.js';

const SENSORS = [{ id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' }];
const PM25_RULE = { name: 'pm25-high', on: 'metric', context: 'CLIMATE', metric: 'pm25', direction: 'above', warning: 100 };

describe('LAN HTTP server: token, page, JSON API, probes, metrics', () => {
  let gateway: GatewayProcess;
  let client: MqttClient;
  let base: string;
  let token: string;
  const start = alignedStart(60);
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${base}${p}`, { headers, redirect: 'manual' });
  const api = async (p: string) => {
    const res = await get(p, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, any>;
  };

  beforeAll(async () => {
    gateway = await GatewayProcess.start({ sensors: SENSORS, alerts: { thresholds: [PM25_RULE] } });
    base = `http://127.0.0.1:${gateway.httpPort}`;
    token = readFileSync(path.join(gateway.dir, 'lan-token'), 'utf8').trim();
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'http-api-test' });
    await publishSeries(client, 'sensors/pm25/air-1', start, 15, (ts) => 10 + ((ts - start) / 30_000) % 4);
    await eventually(() => gateway.query('SELECT 1 FROM scores WHERE window_end = ?', start + 10 * MINUTE).length === 1);
  });

  afterAll(async () => {
    await client?.endAsync();
    expect(await gateway?.stop()).toBe(0);
  });

  it('refuses the page and the API without the token (401), and sets an HttpOnly cookie from ?token=', async () => {
    const page = await get('/');
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('LAN token');
    for (const p of ['/api/scores', '/api/alerts', '/api/status', '/api/readings?sensor=air-1&metric=pm25']) {
      expect((await get(p)).status).toBe(401);
      expect((await get(p, { authorization: 'Bearer not-the-token-0123456789' })).status).toBe(401);
    }
    const login = await get(`/?token=${encodeURIComponent(token)}`);
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^ucid_token=.+; Path=\/; HttpOnly; SameSite=Strict/);
    const withCookie = await get('/', { cookie: cookie.split(';')[0]! });
    expect(withCookie.status).toBe(200);
    expect(withCookie.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await withCookie.text()).toContain('<script type="module" src="/app.js">');
    expect((await get('/api/status', { cookie: cookie.split(';')[0]! })).status).toBe(200);
  });

  it('serves the page assets, uPlot included, from the package (no CDN)', async () => {
    for (const [p, type] of [['/app.js', 'text/javascript'], ['/style.css', 'text/css'], ['/vendor/uplot.js', 'text/javascript'], ['/vendor/uplot.css', 'text/css']]) {
      const res = await get(p!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      const etag = res.headers.get('etag')!;
      expect((await get(p!, { 'if-none-match': etag })).status).toBe(304);
    }
    const html = await (await get('/', { authorization: `Bearer ${token}` })).text();
    expect(html).not.toMatch(/https?:\/\//);
    expect((await get('/../package.json')).status).toBe(404);
    expect((await get('/gateway.db')).status).toBe(404);
    expect((await fetch(`${base}/app.js`, { method: 'POST', body: '' })).status).toBe(405);
  });

  it('answers /api/scores, /api/status and /api/readings', async () => {
    const scores = await api('/api/scores');
    expect(scores.scores).toEqual([expect.objectContaining({ context: 'CLIMATE', city: 'IST', grade: expect.any(String), ucid: expect.stringMatching(/^UCID-V1:IST:/) })]);
    expect((await api('/api/scores?context=TRANSIT')).scores).toEqual([]);

    const status = await api('/api/status');
    expect(status).toMatchObject({ gateway_id: 'gw-test', city: 'IST', ready: true, broker: { enabled: true, clients: 1 } });
    expect(status.drivers).toContainEqual(expect.objectContaining({ name: 'mqtt', state: 'up', last_reading_at: expect.any(Number) }));
    expect(status.sync).toMatchObject({ backlog_events: expect.any(Number), backlog_bytes: expect.any(Number) });

    const history = await api(`/api/readings?sensor=air-1&metric=pm25&since=${start + 5 * MINUTE}`);
    expect(history).toMatchObject({ sensor_id: 'air-1', metric: 'pm25', unit: 'ugm3' });
    expect(history.points).toHaveLength(20);
    expect(history.points[0]).toEqual([start + 5 * MINUTE, 12]);
    expect((await api(`/api/readings?sensor=air-1&metric=pm25&since=${new Date(start).toISOString()}&limit=5`)).points.at(-1)[0]).toBe(start + 15 * MINUTE - 30_000);
    const missing = await get('/api/readings?sensor=air-1', { authorization: `Bearer ${token}` });
    expect(missing.status).toBe(400);
    expect((await get('/api/readings?sensor=air-1&metric=pm25&since=yesterday', { authorization: `Bearer ${token}` })).status).toBe(400);
    expect((await get('/api/nothing', { authorization: `Bearer ${token}` })).status).toBe(404);
  });

  it('lists a threshold alert and acknowledges it through POST /api/alerts/{eventId}/ack', async () => {
    await client.publishAsync('sensors/pm25/air-1', '180', { qos: 1 });
    const alert = await eventually(async () => (await api('/api/alerts')).active.find((a: any) => a.kind === 'ThresholdAlert'));
    expect(alert).toMatchObject({ state: 'raised', level: 'warning', sensor_id: 'air-1', metric: 'pm25', value: 180, threshold: 100, acknowledged: null });
    const post = (headers: Record<string, string>, body = '{"by": "tech-1"}') =>
      fetch(`${base}/api/alerts/${alert.event_id}/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, body });
    expect((await post({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post({ 'content-type': 'application/json', origin: 'http://evil.example' })).status).toBe(403);
    expect((await fetch(`${base}/api/alerts/${alert.event_id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    const acked = await post({ 'content-type': 'application/json' });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({ event_id: alert.event_id, acknowledged: { by: 'tech-1' } });
    expect((await api('/api/alerts')).active.find((a: any) => a.event_id === alert.event_id).acknowledged).toMatchObject({ by: 'tech-1' });
    expect((await post({ 'content-type': 'application/json' }, '{}').then((r) => r.status))).toBe(200);
    expect((await fetch(`${base}/api/alerts/no-such-event/ack`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
  });

  it('answers /healthz, /readyz and /metrics without the token', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    expect(await (await get('/readyz')).json()).toEqual({ status: 'ready' });
    const metrics = await (await get('/metrics')).text();
    for (const name of ['ucid_streaming_connections', 'ucid_streaming_messages_total', 'ucid_ws_clients_dropped_total', 'ucid_ws_queued_bytes']) {
      expect(metrics).toContain(`# TYPE ${name} `);
    }
  });
});

describe('the LAN token', () => {
  it('is generated on first start (mode 0600), logged once, and kept across restarts', async () => {
    const first = await GatewayProcess.start({});
    const file = path.join(first.dir, 'lan-token');
    const token = readFileSync(file, 'utf8').trim();
    expect(await first.stop()).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(24);
    expect(first.logs.filter((l) => JSON.stringify(l).includes(token)).map((l) => l.msg))
      .toEqual(['LAN token generated (shown once); open the dashboard with this link']);

    const second = await GatewayProcess.start({}, { dir: first.dir });
    try {
      expect(second.logs.some((l) => JSON.stringify(l).includes(token))).toBe(false);
      expect(second.logs.find((l) => l.msg === 'dashboard needs the LAN token')).toMatchObject({ tokenFile: file, tokenFrom: 'file' });
      const res = await fetch(`http://127.0.0.1:${second.httpPort}/api/status`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});

describe('http.auth: false', () => {
  it('serves the page and API without a token, and says so in the log', async () => {
    const gateway = await GatewayProcess.start({ http: { auth: false } });
    try {
      const base = `http://127.0.0.1:${gateway.httpPort}`;
      expect((await fetch(`${base}/`)).status).toBe(200);
      expect((await fetch(`${base}/api/status`)).status).toBe(200);
      expect(gateway.logs.find((l) => l.level === 40 && /http\.auth is false/.test(l.msg))).toBeTruthy();
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  });
});
