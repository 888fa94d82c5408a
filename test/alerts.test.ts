import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../gateway/alerts/webhooks.js';
import { GatewayProcess, eventually } from './support/gateway-process.js';

const SECRET = 'test-webhook-secret-0123456789';

interface AlertRow { kind: string; state: string; level: string; key: string; value: number | null }

describe('alerts through the real broker', () => {
  let gateway: GatewayProcess;
  let client: MqttClient;
  let receiver: Server;
  const received: Array<{ body: string; valid: boolean }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const expected = signWebhook(SECRET, String(req.headers['x-ucid-timestamp']), body);
        received.push({ body, valid: expected === req.headers['x-ucid-signature'] });
        res.writeHead(received.length === 1 ? 503 : 200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as { port: number }).port;
    gateway = await GatewayProcess.start({
      sensors: [
        { id: 't-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '1h' },
        { id: 't-2', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '1h' },
        { id: 'n-1', lat: 41.015, lon: 28.979, expectedInterval: '1h' },
        { id: 'n-2', lat: 41.015, lon: 28.979, expectedInterval: '1h' },
        { id: 'quiet-1', lat: 41.015, lon: 28.979, expectedInterval: '1s' },
      ],
      alerts: {
        thresholds: [{ name: 'high-temp', on: 'metric', context: 'CLIMATE', metric: 'temperature', direction: 'above', warning: 35, critical: 40, hysteresis: 1, debounce: { samples: 2 } }],
        anomaly: { metrics: ['noise_db'], warmupSamples: 20, zThreshold: 4, cooldown: '0s' },
        dataSourceDown: { silenceIntervals: 3 },
        webhooks: [{ url: `http://127.0.0.1:${port}/hook`, secret: SECRET, kinds: ['ThresholdAlert'] }],
      },
    });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'alerts-test' });
  });

  afterAll(async () => {
    await client?.endAsync();
    await gateway?.stop();
    receiver?.close();
  });

  const events = (key: string) => gateway.query<AlertRow>('SELECT kind, state, level, key, value FROM alert_events WHERE key = ? ORDER BY id', key);
  const publishAll = async (sensor: string, metric: string, values: number[]) => {
    for (const value of values) await client.publishAsync(`sensors/${metric}/${sensor}`, JSON.stringify({ value, ts: Date.now() }), { qos: 1 });
  };

  it('a value oscillating around the threshold raises once and clears once; it reaches MQTT and a signed webhook', async () => {
    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(gateway.mqttPort), '-t', 'ucid/alerts/IST/CLIMATE', '-C', '2']);
    let subOut = '';
    sub.stdout.on('data', (c) => (subOut += c));
    await new Promise((r) => setTimeout(r, 300));

    await publishAll('t-1', 'temperature', [34, 36, 36, 34.5, 35.5, 34.5, 36, 34.2, 33.5, 33.5, 34.5]);
    const rows = await eventually(() => (events('high-temp|t-1').length >= 2 ? events('high-temp|t-1') : null));
    await new Promise((r) => setTimeout(r, 300));
    expect(events('high-temp|t-1').map((r) => `${r.state}:${r.level}`)).toEqual(['raised:warning', 'cleared:warning']);
    expect(rows[0]!.value).toBe(36);

    await eventually(() => subOut.trim().split('\n').length >= 2);
    const mqttEvents = subOut.trim().split('\n').map((l) => JSON.parse(l) as { state: string; key: string });
    expect(mqttEvents.map((e) => e.state)).toEqual(['raised', 'cleared']);

    // the first delivery is answered 503: it must be retried, and every body must verify
    await eventually(() => received.filter((r) => r.valid).length >= 3, 20_000);
    expect(received.every((r) => r.valid)).toBe(true);
    const delivered = new Set(received.slice(1).map((r) => (JSON.parse(r.body) as { event_id: string }).event_id));
    expect(delivered.size).toBe(2);
  });

  it('escalates warning → critical → cleared, counted per kind, level and state', async () => {
    await publishAll('t-2', 'temperature', [37, 37, 41, 41, 38, 33, 33]);
    await eventually(() => events('high-temp|t-2').length >= 3);
    expect(events('high-temp|t-2').map((r) => `${r.state}:${r.level}`)).toEqual(['raised:warning', 'escalated:critical', 'cleared:critical']);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
    const count = (labels: string) => Number(new RegExp(`^ucid_alerts_total\\{${labels}\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('kind="ThresholdAlert",level="critical",state="escalated"')).toBe(1);
    expect(count('kind="ThresholdAlert",level="warning",state="raised"')).toBe(2);
  });

  it('flags an anomaly after warm-up and not before', async () => {
    await publishAll('n-1', 'noise_db', [55, 56, 54, 95]);
    const steady = Array.from({ length: 30 }, (_, i) => 55 + (i % 3));
    await publishAll('n-2', 'noise_db', [...steady, 95]);
    await eventually(() => events('anomaly|n-2:noise_db').length === 1);
    expect(events('anomaly|n-1:noise_db')).toEqual([]);
    expect(events('anomaly|n-2:noise_db')[0]).toMatchObject({ kind: 'AnomalyDetected', value: 95 });
  });

  it('raises DataSourceDown for a silent sensor and clears it when it reports again', async () => {
    await eventually(() => events('down|sensor:quiet-1').length === 1, 10_000);
    await publishAll('quiet-1', 'pm25', [12]);
    await eventually(() => events('down|sensor:quiet-1').length === 2);
    expect(events('down|sensor:quiet-1').map((r) => `${r.kind}:${r.state}`)).toEqual(['DataSourceDown:raised', 'DataSourceDown:cleared']);
  });

  it('a restart keeps an active alert active without a duplicate event', async () => {
    await publishAll('t-1', 'temperature', [37, 37]);
    await eventually(() => events('high-temp|t-1').length === 3);
    await client.endAsync();
    expect(await gateway.stop()).toBe(0);

    gateway = await GatewayProcess.spawn(['start', '--config', gateway.configFile], gateway.dir, gateway.configFile);
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'alerts-test-2' });
    await publishAll('t-1', 'temperature', [37.5, 38, 37]);
    await new Promise((r) => setTimeout(r, 500));
    expect(events('high-temp|t-1').map((r) => r.state)).toEqual(['raised', 'cleared', 'raised']);
    const active = gateway.query<{ level: string }>(`SELECT level FROM alert_state WHERE key = 'high-temp|t-1'`);
    expect(active).toEqual([{ level: 'warning' }]);
    const outbox = gateway.query<{ n: number }>(`SELECT count(*) AS n FROM outbox WHERE topic = 'ucid.alerts' AND msg_key = 'IST:high-temp|t-1'`);
    expect(outbox[0]!.n).toBe(3);
  });
});
