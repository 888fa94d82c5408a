import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Reading } from '../../gateway/reading.js';
import type { Driver, DriverFactory } from '../driver.js';
import { resolveSecret } from '../http/secret.js';
import { parseSensorMessage, type PayloadParse } from '../mqtt/payload.js';
import type { MqttBridgeConfig } from './schema.js';
import { compilePattern, fillTemplate, type TopicPattern } from './topics.js';
import { SampledLog } from '../../gateway/sampled-log.js';

interface Route {
  pattern: TopicPattern;
  sensorId: string;
  metric: string | null;
  unit: string | undefined;
}

type Resolved = { ok: true; sensorId: string; metric: string; unit: string | undefined } | { ok: false; reason: string };

const MULTI_METRIC = 'all';

function readFile(file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * Bridges an external broker into the pipeline. Every PUBLISH goes through `handleMessage`, which mqtt.js
 * calls before it sends the PUBACK and while it holds back the next packet (mqtt.js client.js `work` loop,
 * handlers/publish.js): a QoS 1 message is acknowledged to the broker only after its readings are committed,
 * or after it is quarantined. A failed commit drops the connection so that the broker redelivers.
 */
export const createDriver: DriverFactory<MqttBridgeConfig> = (config, context): Driver => {
  const { log } = context;
  const quarantined = new SampledLog(log);
  const routes: Route[] = config.subscriptions.map((s) => {
    const pattern = compilePattern(s.topic) as TopicPattern;
    const metric = s.metric ?? (pattern.captures.includes('metric') ? '{metric}' : null);
    return { pattern, sensorId: s.sensorId ?? '{sensorId}', metric, unit: s.unit };
  });
  let client: MqttClient | null = null;
  let inFlight: Promise<void> = Promise.resolve();

  function resolve(topic: string): Resolved {
    for (const route of routes) {
      const vars = route.pattern.match(topic);
      if (!vars) continue;
      const sensorId = fillTemplate(route.sensorId, vars);
      const metric = route.metric === null ? MULTI_METRIC : fillTemplate(route.metric, vars);
      if (!sensorId || !metric) return { ok: false, reason: `topic ${topic} gives an empty sensor id or metric` };
      return { ok: true, sensorId, metric, unit: route.unit };
    }
    return { ok: false, reason: `topic ${topic} matches no configured subscription pattern` };
  }

  function parse(topic: string, payload: Buffer): (PayloadParse & { ok: true; unit: string | undefined }) | { ok: false; reason: string } {
    const route = resolve(topic);
    if (!route.ok) return route;
    if (payload.length > config.maxPayload) return { ok: false, reason: `payload of ${payload.length} bytes is over the ${config.maxPayload}-byte limit` };
    if (route.sensorId.includes('/') || route.metric.includes('/')) return { ok: false, reason: 'a sensor id or metric must not contain /' };
    const parsed = parseSensorMessage('m', `m/${route.metric}/${route.sensorId}`, payload);
    return parsed.ok ? { ...parsed, unit: route.unit } : parsed;
  }

  async function onMessage(packet: IPublishPacket): Promise<void> {
    const receivedAt = Date.now();
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const parsed = parse(packet.topic, payload);
    if (!parsed.ok) {
      context.countError('payload');
      quarantined.warn(packet.topic, { topic: packet.topic, reason: parsed.reason }, 'payload quarantined');
      await context.reject({ source: config.name, reason: parsed.reason, origin: packet.topic, payload: payload.subarray(0, 1024) });
      return;
    }
    const readings: Reading[] = parsed.values.map((v) => ({
      sensorId: v.sensorId, metric: v.metric, value: v.value, unit: v.unit ?? parsed.unit ?? '', ts: v.ts ?? receivedAt, tsFromArrival: v.ts === undefined,
      quality: v.quality, source: config.name, receivedAt,
    }));
    context.markReading(receivedAt);
    await context.submit(readings, { sheddable: packet.qos === 0 });
  }

  function options(): IClientOptions {
    const tls = config.tls;
    let key = readFile(tls?.key, 'tls.key');
    if (key && tls?.passphrase) {
      // mqtt.js's options type has no passphrase: decrypt the key here instead
      const passphrase = resolveSecret(tls.passphrase, `drivers.${config.name}.tls.passphrase`);
      key = Buffer.from(createPrivateKey({ key, passphrase }).export({ type: 'pkcs8', format: 'pem' }));
    }
    return {
      clientId: config.clientId ?? `ucid-${os.hostname()}-${config.name}`,
      protocolVersion: config.protocolVersion,
      clean: config.cleanSession,
      properties: config.protocolVersion === 5 ? { sessionExpiryInterval: Math.round(config.sessionExpiry / 1000) } : undefined,
      username: config.username,
      password: config.password ? resolveSecret(config.password, `drivers.${config.name}.password`) : undefined,
      keepalive: Math.max(1, Math.round(config.keepalive / 1000)),
      reconnectPeriod: config.reconnectPeriod,
      connectTimeout: config.connectTimeout,
      resubscribe: false,
      ca: readFile(tls?.ca, 'tls.ca'),
      cert: readFile(tls?.cert, 'tls.cert'),
      key,
      rejectUnauthorized: tls?.rejectUnauthorized ?? true,
      servername: tls?.servername,
    };
  }

  async function subscribe(active: MqttClient, sessionPresent: boolean): Promise<void> {
    const filters = Object.fromEntries(routes.map((r) => [r.pattern.filter, { qos: config.qos }]));
    try {
      const granted = await active.subscribeAsync(filters);
      const refused = granted.filter((g) => g.qos > 2);
      refused.forEach(() => context.countError('subscribe_refused'));
      if (refused.length) context.setHealth('degraded', `broker refused ${refused.map((g) => g.topic).join(', ')}`);
      else context.setHealth('up', `subscribed to ${Object.keys(filters).join(', ')}${sessionPresent ? ' (session resumed)' : ''}`);
    } catch (err) {
      context.countError('subscribe');
      context.setHealth('degraded', `subscribe failed: ${(err as Error).message}`);
    }
  }

  return {
    async start() {
      context.setHealth('connecting', `connecting to ${config.url}`);
      const active = mqtt.connect(config.url, options());
      client = active;
      active.handleMessage = (packet, done) => {
        inFlight = onMessage(packet).then(() => done(), (err: unknown) => {
          context.countError('submit');
          log.error({ err, topic: packet.topic }, 'readings not committed; reconnecting so that the broker redelivers');
          done(err as Error);
          active.stream.destroy();
        });
      };
      active.on('connect', (connack) => void subscribe(active, connack.sessionPresent));
      active.on('reconnect', () => context.setHealth('connecting', `reconnecting to ${config.url}`));
      active.on('offline', () => context.setHealth('down', `${config.url} unreachable`));
      active.on('close', () => {
        if (active.connected || active.disconnecting) return;
        context.setHealth('down', `connection to ${config.url} closed`);
      });
      active.on('error', (err) => {
        context.countError('connection');
        context.setHealth('down', err.message);
        log.warn({ url: config.url, err: err.message }, 'mqtt bridge connection error');
      });
    },
    async stop() {
      // let a commit in progress finish so that its PUBACK goes out; what is not acknowledged is redelivered later
      await Promise.race([inFlight, sleep(5_000)]);
      await client?.endAsync(true);
      client = null;
      quarantined.stop();
      context.setHealth('stopped');
    },
  };
};
