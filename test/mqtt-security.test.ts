import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../gateway/broker-security/passwords.js';
import { TestPki } from './support/certs.js';
import { GatewayProcess, eventually } from './support/gateway-process.js';

const run = promisify(execFile);
const SECRETS = { air1: 'air-1-Secret!', air3: 'air-3-from-file', wrong: 'definitely-Wrong-pw' };
const SENSORS = ['air-1', 'air-2', 'air-3'].map((id) => ({ id, lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' }));

const refusal = (options: IClientOptions & { url: string }) =>
  mqtt.connectAsync(options.url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options }).then(
    async (client) => {
      await client.endAsync();
      return 'connected';
    },
    (err: Error & { code?: number }) => err.code ?? err.message,
  );

async function metric(gateway: GatewayProcess, pattern: RegExp): Promise<number> {
  const ready = await gateway.waitForLog((l) => l.msg === 'gateway ready');
  const text = await (await fetch(`http://127.0.0.1:${ready.httpPort}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

function readingCount(gateway: GatewayProcess, sensor: string): number {
  return gateway.query<{ n: number }>('SELECT count(*) AS n FROM readings WHERE sensor_id = ?', sensor)[0]!.n;
}

function allLogText(gateway: GatewayProcess): string {
  return `${gateway.logs.map((l) => JSON.stringify(l)).join('\n')}\n${gateway.stderr}`;
}

describe('MQTT security: passwords, ACL, TLS with optional client certificates', () => {
  let pki: TestPki;
  let rogue: TestPki;
  let gateway: GatewayProcess;
  let tlsPort: number;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    pki = TestPki.create();
    pki.issue('air-2', 'air-2');
    rogue = TestPki.create('rogue-ca');
    rogue.issue('intruder', 'air-1');
    const dir = mkdtempSync(path.join(tmpdir(), 'ucid-sec-'));
    writeFileSync(path.join(dir, 'mqtt-passwd'), `# sensors\nair-3:${await hashPassword(SECRETS.air3)}\n`);
    gateway = await GatewayProcess.start({
      gateway: { logLevel: 'debug' },
      sensors: SENSORS,
      mqtt: {
        allowAnonymous: false,
        auth: { users: [{ username: 'air-1', passwordHash: await hashPassword(SECRETS.air1) }], file: 'mqtt-passwd' },
        tls: { host: '127.0.0.1', port: 0, cert: pki.file('server.crt'), key: pki.file('server.key'), ca: pki.ca, clientCertificates: 'optional' },
      },
    }, { dir });
    tlsPort = gateway.logs.find((l) => l.msg === 'gateway ready')!.mqttTlsPort as number;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    expect(await gateway?.stop()).toBe(0);
  });

  it('refuses a wrong password, an unknown user and a client without credentials', async () => {
    const url = `mqtt://127.0.0.1:${gateway.mqttPort}`;
    expect(await refusal({ url, username: 'air-1', password: SECRETS.wrong })).toBe(5);
    expect(await refusal({ url, username: 'nobody', password: SECRETS.air1 })).toBe(5);
    expect(await refusal({ url })).toBe(5);
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="bad_credentials"\} (\d+)/)).toBe(2);
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="anonymous"\} (\d+)/)).toBe(1);
  });

  it('takes readings from users in the config and in the credentials file (mosquitto_pub too)', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { username: 'air-1', password: SECRETS.air1, reconnectPeriod: 0 });
    clients.push(client);
    await client.publishAsync('sensors/pm25/air-1', '12', { qos: 1 });
    expect(readingCount(gateway, 'air-1')).toBe(1);
    const pub = (password: string) => run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gateway.mqttPort), '-u', 'air-3', '-P', password, '-q', '1', '-t', 'sensors/pm25/air-3', '-m', '9']);
    await pub(SECRETS.air3);
    await expect(pub(SECRETS.wrong)).rejects.toThrow();
    expect(readingCount(gateway, 'air-3')).toBe(1);
  });

  it('refuses and counts a publish outside the sensor\'s own topics; limits subscriptions', async () => {
    const before = await metric(gateway, /ucid_mqtt_refused_total\{reason="acl_publish"\} (\d+)/);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { username: 'air-1', password: SECRETS.air1, reconnectPeriod: 0 });
    clients.push(client);
    // SUBACK 0x80: mqtt.js turns a refused subscription into an error
    await expect(client.subscribeAsync('sensors/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    void client.publishAsync('sensors/pm25/air-2', '99', { qos: 1 }).catch(() => undefined);
    await closed;
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="acl_publish"\} (\d+)/)).toBe(before + 1);
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="acl_subscribe"\} (\d+)/)).toBe(1);
    expect(readingCount(gateway, 'air-2')).toBe(0);
  });

  it('accepts TLS with a password, and mTLS where the certificate CN is the identity', async () => {
    const url = `mqtts://127.0.0.1:${tlsPort}`;
    const withPassword = await mqtt.connectAsync(url, { ca: pki.read('ca.crt'), username: 'air-1', password: SECRETS.air1, reconnectPeriod: 0 });
    clients.push(withPassword);
    await withPassword.publishAsync('sensors/pm25/air-1', '13', { qos: 1 });
    expect(readingCount(gateway, 'air-1')).toBe(2);

    const withCert = await mqtt.connectAsync(url, { ca: pki.read('ca.crt'), cert: pki.read('air-2.crt'), key: pki.read('air-2.key'), reconnectPeriod: 0 });
    clients.push(withCert);
    await withCert.publishAsync('sensors/pm25/air-2', '21', { qos: 1 });
    expect(readingCount(gateway, 'air-2')).toBe(1);

    expect(await refusal({ url, ca: pki.read('ca.crt'), cert: rogue.read('intruder.crt'), key: rogue.read('intruder.key') })).toBe(5);
    expect(await refusal({ url, ca: pki.read('ca.crt'), cert: pki.read('air-2.crt'), key: pki.read('air-2.key'), username: 'air-1' })).toBe(5);
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="certificate"\} (\d+)/)).toBe(1);
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="identity_mismatch"\} (\d+)/)).toBe(1);
  });

  it('never writes a password to the logs', async () => {
    await eventually(() => gateway.logs.some((l) => l.msg === 'mqtt refused'));
    const text = allLogText(gateway);
    expect(text).toMatch(/mqtt refused/);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/\$scrypt\$/);
  });
});

describe('MQTT security: mTLS required, connection limits', () => {
  let pki: TestPki;
  let gateway: GatewayProcess;
  let tlsPort: number;

  beforeAll(async () => {
    pki = TestPki.create();
    pki.issue('air-1', 'air-1');
    gateway = await GatewayProcess.start({
      sensors: SENSORS,
      mqtt: {
        allowAnonymous: false,
        tls: { host: '127.0.0.1', port: 0, cert: pki.file('server.crt'), key: pki.file('server.key'), ca: pki.ca, clientCertificates: 'required' },
        limits: { maxConnectionsPerIp: 2 },
      },
    });
    tlsPort = gateway.logs.find((l) => l.msg === 'gateway ready')!.mqttTlsPort as number;
  });

  afterAll(async () => {
    expect(await gateway?.stop()).toBe(0);
  });

  it('refuses a TLS client without a certificate and accepts one with', async () => {
    const url = `mqtts://127.0.0.1:${tlsPort}`;
    const refused = await refusal({ url, ca: pki.read('ca.crt') });
    expect(refused).not.toBe('connected');
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="tls_handshake"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    const client = await mqtt.connectAsync(url, { ca: readFileSync(pki.ca), cert: pki.read('air-1.crt'), key: pki.read('air-1.key'), reconnectPeriod: 0 });
    await client.publishAsync('sensors/pm25/air-1', '5', { qos: 1 });
    await client.endAsync();
    expect(readingCount(gateway, 'air-1')).toBe(1);
  });

  it('closes connections over the per-address limit at accept', async () => {
    const open = () => new Promise<{ closed: Promise<void> }>((resolve) => {
      const socket = netConnect(gateway.mqttPort, '127.0.0.1', () => resolve({ closed: new Promise((r) => socket.once('close', () => r())) }));
      sockets.push(socket);
    });
    const sockets: ReturnType<typeof netConnect>[] = [];
    await eventually(async () => (await metric(gateway, /ucid_broker_clients (\d+)/)) === 0);
    await open();
    await open();
    const third = await open();
    await third.closed;
    expect(await metric(gateway, /ucid_mqtt_refused_total\{reason="connections_per_ip"\} (\d+)/)).toBe(1);
    sockets.forEach((s) => s.destroy());
  });
});
