import { z } from 'zod';
import { byteSize, duration } from '../../gateway/config/duration.js';
import { secretSchema } from '../http/secret.js';
import { compilePattern, templateNames } from './topics.js';

const routeSchema = z.strictObject({
  /** Topic levels with `+`, a trailing `#`, or `{name}` captures, e.g. `air-quality/{sensorId}/{metric}`. */
  topic: z.string().min(1),
  /** Template of captures; defaults to `{sensorId}`. */
  sensorId: z.string().min(1).optional(),
  /** Template of captures; defaults to `{metric}`, or to multi-metric payloads (`values`) without one. */
  metric: z.string().min(1).optional(),
  /** Unit for payloads that carry none. */
  unit: z.string().optional(),
}).superRefine((route, ctx) => {
  const pattern = compilePattern(route.topic);
  if (typeof pattern === 'string') {
    ctx.addIssue({ code: 'custom', path: ['topic'], message: pattern });
    return;
  }
  const sensorTemplate = route.sensorId ?? '{sensorId}';
  for (const [field, template] of [['sensorId', sensorTemplate], ['metric', route.metric ?? '']] as const) {
    for (const name of templateNames(template)) {
      if (!pattern.captures.includes(name)) ctx.addIssue({ code: 'custom', path: [field], message: `{${name}} is not captured by the topic pattern` });
    }
  }
});

/**
 * Subscribes to an external MQTT broker (the UCID spec's SensorConsumer: `mqtt://sensors.city.gov`,
 * topics `air-quality/#`, `traffic/#`, certificate authentication) and maps topics to sensors.
 */
export const mqttBridgeSchema = z.strictObject({
  type: z.literal('mqtt-bridge'),
  name: z.string().min(1).default('mqtt-bridge'),
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'expected mqtt://, mqtts://, ws:// or wss:// and a host'),
  /** Stable, so the broker keeps the session (and QoS 1 messages) while the gateway is away. Default `ucid-<hostname>-<name>`. */
  clientId: z.string().min(1).max(256).optional(),
  protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
  username: z.string().min(1).optional(),
  password: secretSchema.optional(),
  tls: z.strictObject({
    ca: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    passphrase: secretSchema.optional(),
    rejectUnauthorized: z.boolean().default(true),
    servername: z.string().min(1).optional(),
  }).optional(),
  qos: z.union([z.literal(0), z.literal(1)]).default(1),
  /** false keeps a persistent session: messages published while the gateway is offline are delivered later. */
  cleanSession: z.boolean().default(false),
  /** MQTT 5 only: how long the broker keeps the session after a disconnect. */
  sessionExpiry: duration.prefault('7d'),
  keepalive: duration.prefault('30s'),
  reconnectPeriod: duration.prefault('5s'),
  connectTimeout: duration.prefault('30s'),
  maxPayload: byteSize.prefault('64KiB'),
  subscriptions: z.array(routeSchema).min(1).default([{ topic: 'sensors/{metric}/{sensorId}' }]),
}).superRefine((config, ctx) => {
  if (config.password && !config.username) ctx.addIssue({ code: 'custom', path: ['password'], message: 'a password needs a username' });
  if (config.tls && !/^(mqtts|wss):/.test(config.url)) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls needs an mqtts:// or wss:// url' });
  if (config.tls && (config.tls.cert === undefined) !== (config.tls.key === undefined)) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'a client certificate needs its key, and the other way round' });
});

export type MqttBridgeConfig = z.output<typeof mqttBridgeSchema>;
export type MqttBridgeRoute = MqttBridgeConfig['subscriptions'][number];
