import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriverContext } from '../drivers/driver.js';
import { createDriver } from '../drivers/mqtt-bridge/driver.js';
import { mqttBridgeSchema } from '../drivers/mqtt-bridge/schema.js';
import type { Reading } from '../gateway/reading.js';
import { TestPki } from './support/certs.js';
import { createCaptureContext } from './support/driver-context.js';
import { startMosquitto, type Mosquitto } from './peers/mosquitto.js';

const run = promisify(execFile);
const USER = 'gateway';
const PASSWORD = 'br1dge-pw';

describe('MQTT bridge against a real mosquitto broker', () => {
  let broker: Mosquitto;
  let pki: TestPki;

  const pub = (topic: string, message: string, qos = 1) =>
    run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-u', USER, '-P', PASSWORD, '-q', String(qos), '-t', topic, '-m', message]);

  const bridge = (extra: Record<string, unknown> = {}) => mqttBridgeSchema.parse({
    type: 'mqtt-bridge', name: 'city', url: `mqtt://127.0.0.1:${broker.port}`, username: USER, password: { env: 'UCID_TEST_BRIDGE_PASSWORD' },
    reconnectPeriod: '100ms',
    subscriptions: [
      { topic: 'sensors/{metric}/{sensorId}' },
      { topic: 'air-quality/{site}/{device}', sensorId: 'aq-{site}-{device}' },
      { topic: 'traffic/+/{sensorId}/speed', metric: 'speed_ratio', unit: 'ratio' },
    ],
    ...extra,
  });

  beforeAll(async () => {
    process.env.UCID_TEST_BRIDGE_PASSWORD = PASSWORD;
    pki = TestPki.create();
    broker = await startMosquitto(pki, USER, PASSWORD);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('maps topics with wildcards to sensors, takes the convention payloads, quarantines garbage', async () => {
    const ctx = createCaptureContext();
    const driver = createDriver(bridge({ clientId: 'bridge-map', cleanSession: true }), ctx);
    await driver.start();
    try {
      await ctx.waitForState('up');
      await pub('sensors/pm25/air-1', '17.5');
      await pub('air-quality/kadikoy/d7', JSON.stringify({ ts: Date.now() - 1000, values: { pm25: 12, no2: { value: 30, unit: 'ugm3' } } }));
      await pub('traffic/istanbul/loop-4/speed', '0.8', 0);
      await pub('sensors/pm25/air-1', 'garbage');
      await pub('sensors/pm25/air-2', '{"value": 3}');
      await ctx.waitForReadings(5);
      const byKey = (r: Reading) => `${r.sensorId}/${r.metric}=${r.value}${r.unit ? ` ${r.unit}` : ''}`;
      expect(ctx.readings.map(byKey)).toEqual(['air-1/pm25=17.5', 'aq-kadikoy-d7/pm25=12', 'aq-kadikoy-d7/no2=30 ugm3', 'loop-4/speed_ratio=0.8 ratio', 'air-2/pm25=3']);
      expect(ctx.readings[1]!.tsFromArrival).toBe(false);
      expect(ctx.rejected).toEqual([expect.objectContaining({ origin: 'sensors/pm25/air-1', reason: 'payload is neither a number nor JSON' })]);
      expect(ctx.health.errors.payload).toBe(1);
    } finally {
      await driver.stop();
    }
  });

  it('acknowledges only after commit: a failed commit is redelivered by the broker', async () => {
    const ctx = createCaptureContext();
    let failures = 1;
    const attempts: string[] = [];
    const failingCtx: DriverContext = {
      ...ctx,
      async submit(readings, options) {
        attempts.push(readings.map((r) => `${r.sensorId}=${r.value}`).join(','));
        if (failures-- > 0) throw new Error('disk full');
        await ctx.submit(readings, options);
      },
    };
    const driver = createDriver(bridge({ clientId: 'bridge-ack' }), failingCtx);
    await driver.start();
    try {
      await ctx.waitForState('up');
      await pub('sensors/no2/air-9', '41');
      await ctx.waitForReadings(1);
      expect(attempts).toEqual(['air-9=41', 'air-9=41']);
      expect(ctx.health.errors.submit).toBe(1);
    } finally {
      await driver.stop();
    }
  });

  it('keeps its session: QoS 1 messages published while the gateway is away arrive after it restarts', async () => {
    const first = createCaptureContext();
    const driver = createDriver(bridge({ clientId: 'bridge-persist', protocolVersion: 5 }), first);
    await driver.start();
    await first.waitForState('up');
    await driver.stop();

    await pub('sensors/temperature/roof', '{"value": 12.5, "unit": "C"}');
    const second = createCaptureContext();
    const again = createDriver(bridge({ clientId: 'bridge-persist', protocolVersion: 5 }), second);
    await again.start();
    try {
      await second.waitForReadings(1);
      expect(second.readings[0]).toMatchObject({ sensorId: 'roof', metric: 'temperature', value: 12.5, unit: 'C' });
      await second.waitForState('up');
      expect(second.health.detail).toContain('session resumed');
    } finally {
      await again.stop();
    }
  });

  it('connects with a client certificate over TLS', async () => {
    const client = pki.issue('gw-client', 'gateway-tls');
    const ctx = createCaptureContext();
    const driver = createDriver(bridge({
      url: `mqtts://127.0.0.1:${broker.tlsPort}`, username: undefined, password: undefined, clientId: 'bridge-tls', cleanSession: true,
      tls: { ca: pki.ca, cert: client.cert, key: client.key },
    }), ctx);
    await driver.start();
    try {
      await ctx.waitForState('up');
      await pub('sensors/humidity/h-1', '55');
      await ctx.waitForReadings(1);
      expect(ctx.readings[0]).toMatchObject({ sensorId: 'h-1', metric: 'humidity', value: 55 });
    } finally {
      await driver.stop();
    }
  });

  it('reports a refused password as down and counts it, without logging the password', async () => {
    process.env.UCID_TEST_BRIDGE_WRONG = 'not-the-password';
    const ctx = createCaptureContext();
    const driver = createDriver(bridge({ clientId: 'bridge-refused', password: { env: 'UCID_TEST_BRIDGE_WRONG' } }), ctx);
    await driver.start();
    try {
      await ctx.waitForState('down');
      expect(ctx.health.errors.connection).toBeGreaterThan(0);
      expect(JSON.stringify(ctx.health)).not.toContain('not-the-password');
    } finally {
      await driver.stop();
    }
  });

  it('rejects bad patterns and templates in the config, naming the path', () => {
    const result = mqttBridgeSchema.safeParse({
      type: 'mqtt-bridge', url: 'mqtt://broker', password: 'x',
      subscriptions: [{ topic: 'a/#/b' }, { topic: 'a/{site}', sensorId: '{device}' }],
    });
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'subscriptions.0.topic: # must be the last level',
      'subscriptions.1.sensorId: {device} is not captured by the topic pattern',
      'password: a password needs a username',
    ]);
  });
});
