import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess, REPO_ROOT, eventually } from './support/gateway-process.js';
import { MINUTE, alignedStart, publishSeries } from './support/http-harness.js';
import { ModbusPeer } from './peers/modbus-peer.js';

const TOKEN = 'browser-test-token-0123456789';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync'];

/** The UCID streaming spec's client (../shared/seed/000_6b9eed81649f89fd.txt), verbatim; the test changes only its URL. */
const SPEC_CLIENT = `class UCIDStreamClient {
    constructor(city) {
        this.city = city;
        this.ws = null;
        this.handlers = new Map();
    }
    
    connect() {
        this.ws = new WebSocket(\`wss://api.ucid.org/ws/ucid/\${this.city}\`);
        
        this.ws.onopen = () => {
            console.log('Connected to UCID stream');
            this.startPingInterval();
        };
        
        this.ws.onmessage = (event) => {
            const update = JSON.parse(event.data);
            this.handleUpdate(update);
        };
        
        this.ws.onclose = () => {
            console.log('Disconnected, reconnecting...');
            setTimeout(() => this.connect(), 5000);
        };
    }
    
    handleUpdate(update) {
        if (update.type === 'score_update') {
            const handler = this.handlers.get(update.context);
            if (handler) handler(update);
        }
    }
    
    subscribe(context, handler) {
        this.handlers.set(context, handler);
    }
}

// Usage
const client = new UCIDStreamClient('IST');
client.connect();
client.subscribe('TRANSIT', (update) => {
    console.log(\`Transit score updated: \${update.score}\`);
});`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the dashboard in headless Chromium', () => {
  let gateway: GatewayProcess;
  let peer: ModbusPeer;
  let mqttClient: MqttClient;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  const profile = mkdtempSync(path.join(tmpdir(), 'ucid-chromium-'));
  const pageErrors: string[] = [];
  const start = alignedStart(60);
  const sensors = [
    { id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' },
    { id: 'stop-1', lat: 41.015, lon: 28.979, contexts: ['TRANSIT'], expectedInterval: '30s' },
    { id: 'air-2', lat: 41.021, lon: 28.990, contexts: ['CLIMATE'], expectedInterval: '30s' },
    { id: 'stop-2', lat: 41.021, lon: 28.990, contexts: ['TRANSIT'], expectedInterval: '30s' },
  ];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-dashboard-'));
    peer = new ModbusPeer({ units: [1], values: [{ unit: 1, table: 'holding', address: 0, type: 'uint16', value: 55 }], valuesFile: path.join(dir, 'values.json') });
    await peer.start();
    gateway = await GatewayProcess.start({
      sensors,
      http: { token: TOKEN, port: await freePort() },
      alerts: { thresholds: [{ name: 'pm25-high', on: 'metric', context: 'CLIMATE', metric: 'pm25', direction: 'above', warning: 100 }] },
      drivers: [{
        type: 'modbus', name: 'plc', connection: { transport: 'tcp', host: '127.0.0.1', port: peer.port }, timeout: '300ms', maxBackoff: '2s',
        devices: [{ unitId: 1, sensorId: 'plc-1', interval: '1s', registers: [{ metric: 'humidity', unit: 'pct', address: 0 }] }],
      }],
    }, { dir });
    base = `http://127.0.0.1:${gateway.httpPort}`;
    mqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'dashboard-test' });
    for (const [site, delay, pm25] of [[1, 150, 12], [2, 450, 30]] as const) {
      await publishSeries(mqttClient, `sensors/pm25/air-${site}`, start, 15, (ts) => pm25 + ((ts - start) / 30_000) % 3);
      await publishSeries(mqttClient, `sensors/delay_s/stop-${site}`, start, 15, () => delay);
    }
    await eventually(() => gateway.query('SELECT 1 FROM scores WHERE window_end = ?', start + 10 * MINUTE).length === 4);

    context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
    page = context.pages()[0] ?? await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    await mqttClient?.endAsync();
    await peer?.stop();
    if (gateway) expect(await gateway.stop()).toBe(0);
  });

  it('refuses the page without the token, then opens it with the token from the login form', async () => {
    const refused = await page.goto(base);
    expect(refused?.status()).toBe(401);
    expect(await page.request.get(`${base}/api/scores`).then((r) => r.status())).toBe(401);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    await page.locator('#connection[data-state="live"]').waitFor();
    expect(new URL(page.url()).search).toBe('');
  });

  it('shows the initial scores: a grid of cells and contexts with score, grade and trend', async () => {
    const scores = (await (await page.request.get(`${base}/api/scores`)).json()).scores as Array<{ h3_index: string; context: string; score: number; grade: string }>;
    expect(scores).toHaveLength(4);
    await expect.poll(() => page.locator('#scores tbody tr').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('#scores thead th').allTextContents()).toEqual(['Cell', 'CLIMATE', 'TRANSIT']);
    for (const s of scores) {
      const cell = page.locator(`#scores td[data-key="${s.h3_index}|${s.context}"]`);
      expect(await cell.locator('.value').textContent()).toBe(String(Math.round(s.score)));
      expect(await cell.locator('.grade').textContent()).toBe(s.grade);
      expect(await cell.locator('.trend').textContent()).toMatch(/^[▲▼▬] [+-]?\d+\.\d$/);
    }
  });

  it('puts a new MQTT reading on the live chart, also one that comes while the history is being fetched', async () => {
    const chartLength = () => page.evaluate(() => (window as any).ucidDashboard.chart.length as number);
    const lastValue = () => page.evaluate(() => (window as any).ucidDashboard.chart.last()?.value as number | undefined);
    await expect.poll(chartLength, { timeout: 10_000 }).toBeGreaterThan(10);
    // choosing the series again refetches its history: the gateway answers before the new reading, the page
    // gets that answer after the reading is on the chart
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let answeredByGateway!: () => void;
    const fetching = new Promise<void>((resolve) => { answeredByGateway = resolve; });
    await page.route('**/api/readings?*', async (route) => {
      const response = await route.fetch();
      answeredByGateway();
      await held;
      await route.fulfill({ response });
    });
    await page.selectOption('#series', 'air-1|pm25');
    await fetching;
    await mqttClient.publishAsync('sensors/pm25/air-1', '77.7', { qos: 1 });
    await expect.poll(lastValue, { timeout: 10_000 }).toBe(77.7);
    const answered = page.waitForResponse((r) => r.url().includes('/api/readings?'));
    release();
    await answered;
    await expect.poll(() => page.evaluate(() => (window as any).ucidDashboard.state.seriesLoad), { timeout: 10_000 }).toBeNull();
    await page.unroute('**/api/readings?*');
    expect(await lastValue()).toBe(77.7);
    expect(await chartLength()).toBeGreaterThan(10);
    await expect.poll(() => page.locator('#chart-last').textContent(), { timeout: 10_000 }).toContain('last 77.7 ugm3');
    expect(await page.locator('#chart canvas').count()).toBeGreaterThan(0);
  });

  it("reads a series' history only once the gateway has confirmed the subscription to its readings", async () => {
    const other = await context.newPage();
    const held: Array<() => void> = [];
    await other.routeWebSocket(/\/ws\/ucid\//, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => {
        const text = typeof m === 'string' ? m : m.toString('utf8');
        if (text.includes('"type":"subscribed"') && text.includes('"readings":true')) held.push(() => ws.send(m));
        else ws.send(m);
      });
    });
    const requests: string[] = [];
    other.on('request', (r) => {
      const { pathname } = new URL(r.url());
      if (pathname === '/api/readings' || pathname === '/healthz') requests.push(pathname);
    });
    await other.goto(base);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    // the page's own later request: requests are reported in order, so a history request sent before it shows first
    await other.evaluate(() => fetch('/healthz').then((r) => r.status));
    expect(requests).toEqual(['/healthz']);
    held.splice(0).forEach((release) => release());
    await expect.poll(() => requests, { timeout: 10_000 }).toEqual(['/healthz', '/api/readings']);
    await expect.poll(() => other.evaluate(() => (window as any).ucidDashboard.chart.length), { timeout: 10_000 }).toBeGreaterThan(10);
    await other.close();
  });

  it('shows a threshold crossing as an alert, and acknowledges it', async () => {
    await mqttClient.publishAsync('sensors/pm25/air-1', '180', { qos: 1 });
    const alert = page.locator('#alerts li[data-kind="ThresholdAlert"]');
    await alert.waitFor();
    expect(await alert.getAttribute('data-level')).toBe('warning');
    expect(await alert.textContent()).toContain('pm25');
    await alert.locator('button').click();
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toContain('ack by dashboard');
    await page.locator('#alerts-section summary').click();
    expect(await page.locator('#alert-history li').count()).toBeGreaterThan(0);
  });

  it("shows every driver's health, and a driver going down as down", async () => {
    const plc = page.locator('#drivers tr[data-driver="plc"] .state');
    await expect.poll(() => plc.textContent(), { timeout: 15_000 }).toBe('up');
    expect(await page.locator('#drivers tr[data-driver="mqtt"] .state').textContent()).toBe('up');
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-desktop.png'), fullPage: true });
    await peer.stop();
    await expect.poll(() => plc.textContent(), { timeout: 20_000 }).toBe('down');
    expect(await page.locator('#uplink-state').textContent()).toMatch(/connected|disconnected|no uplink configured/);
    expect(Number(await page.locator('#broker-clients').textContent())).toBeGreaterThanOrEqual(1);
    await page.setViewportSize({ width: 390, height: 844 });
    // readable on a phone: once the chart has followed the new width, nothing is wider than the screen
    await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth), { timeout: 10_000 }).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("runs the UCID spec's UCIDStreamClient with only its URL changed: it receives score_update for its context", async () => {
    const spec = path.resolve(REPO_ROOT, '../shared/seed/000_6b9eed81649f89fd.txt');
    if (existsSync(spec)) expect(readFileSync(spec, 'utf8')).toContain(SPEC_CLIENT);
    const code = SPEC_CLIENT.replace('wss://api.ucid.org/ws/ucid/${this.city}', `ws://127.0.0.1:${gateway.httpPort}/ws/ucid/\${this.city}?token=${TOKEN}`);
    const clientPage = await context.newPage();
    const logs: string[] = [];
    const errors: string[] = [];
    clientPage.on('console', (m) => logs.push(m.text()));
    clientPage.on('pageerror', (e) => errors.push(e.message));
    // as a separate web app on the LAN would: its own origin, the client in a plain <script>, the token in the URL
    const app = createHttpServer((_req, res) => res.end(`<!doctype html><title>UCID client</title><script>${code}</script>`));
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    await clientPage.goto(`http://127.0.0.1:${(app.address() as { port: number }).port}/`);
    await expect.poll(() => logs, { timeout: 10_000 }).toContain('Connected to UCID stream');
    await publishSeries(mqttClient, 'sensors/delay_s/stop-1', start + 15 * MINUTE, 10, () => 600);
    await publishSeries(mqttClient, 'sensors/pm25/air-1', start + 15 * MINUTE, 10, () => 20);
    await expect.poll(() => logs, { timeout: 20_000 }).toContain('Transit score updated: 25');
    expect(logs.filter((l) => l.startsWith('Transit score updated'))).not.toContain('Transit score updated: undefined');
    // the spec's onopen calls a startPingInterval() it never defines; the browser reports it and the stream goes on
    expect(errors).toEqual(['this.startPingInterval is not a function']);
    await clientPage.close();
    app.close();
  });

  it('reconnects by itself when the gateway restarts', async () => {
    expect(await gateway.stop()).toBe(0);
    await page.locator('#connection[data-state="reconnecting"]').waitFor();
    gateway = await GatewayProcess.spawn(['start', '--config', gateway.configFile], gateway.dir, gateway.configFile);
    await page.locator('#connection[data-state="live"]').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#scores tbody tr').count(), { timeout: 10_000 }).toBe(2);
    expect(pageErrors).toEqual([]);
  });
});
