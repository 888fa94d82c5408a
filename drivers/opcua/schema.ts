import { z } from 'zod';
import { duration } from '../../gateway/config/duration.js';
import { metricName, sensorId } from '../../gateway/config/sensor.js';
import { secretSchema } from '../http/secret.js';

/** `ns=2;s=Temperature`, `ns=3;i=1001`, `i=2258`, `ns=1;g=…`, `ns=1;b=…` (OPC UA Part 6 §5.3.1.10). */
const nodeId = z.string().regex(/^(ns=\d+;)?(i=\d+|s=.+|g=[0-9A-Fa-f-]{36}|b=[A-Za-z0-9+/=]+)$/, 'expected a NodeId such as ns=2;s=Temperature or ns=3;i=1001');

const deadbandSchema = z.strictObject({
  /** `percent` is of the item's EURange and needs the server to know it (Part 8 §6.2). */
  type: z.enum(['absolute', 'percent']),
  value: z.number().nonnegative(),
});

const itemSchema = z.strictObject({
  nodeId,
  sensorId,
  metric: metricName,
  unit: z.string().default(''),
  /** Defaults to the driver's samplingInterval. */
  samplingInterval: duration.optional(),
  deadband: deadbandSchema.optional(),
  queueSize: z.number().int().min(1).max(10_000).default(10),
});

export const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss', 'Basic256', 'Basic128Rsa15'] as const;

/** An OPC UA server whose variables are monitored in one subscription. */
export const opcuaSchema = z.strictObject({
  type: z.literal('opcua'),
  name: z.string().min(1).default('opcua'),
  endpoint: z.string().regex(/^opc\.tcp:\/\/[^/\s]+(\/.*)?$/, 'expected opc.tcp://host:port[/path]'),
  securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
  securityPolicy: z.enum(SECURITY_POLICIES).default('None'),
  auth: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('anonymous') }),
    z.strictObject({ type: z.literal('username'), username: z.string().min(1), password: secretSchema }),
  ]).default({ type: 'anonymous' }),
  /** Client certificate and trust lists; node-opcua's per-user default when absent. */
  pkiDir: z.string().min(1).optional(),
  /** Trust a server certificate never seen before (node-opcua's default); false: only those in pkiDir/trusted. */
  acceptUnknownServerCertificate: z.boolean().default(true),
  applicationName: z.string().min(1).default('ucid-edge-gateway'),
  publishingInterval: duration.prefault('1s'),
  samplingInterval: duration.prefault('1s'),
  /** Publishing intervals without data before the server sends a keep-alive. */
  maxKeepAliveCount: z.number().int().min(1).max(1000).default(10),
  /** Publishing intervals without a Publish request before the server drops the subscription. */
  lifetimeCount: z.number().int().min(3).max(100_000).default(600),
  sessionTimeout: duration.prefault('60s'),
  requestTimeout: duration.prefault('15s'),
  reconnect: z.strictObject({
    initialDelay: duration.prefault('1s'),
    maxDelay: duration.prefault('30s'),
    /** How long node-opcua may repair a lost connection before the driver rebuilds client, session and subscription. */
    rebuildAfter: duration.prefault('2m'),
  }).prefault({}),
  items: z.array(itemSchema).min(1),
}).superRefine((config, ctx) => {
  if ((config.securityMode === 'None') !== (config.securityPolicy === 'None')) {
    ctx.addIssue({ code: 'custom', path: ['securityPolicy'], message: 'securityMode None goes with securityPolicy None, and only with it' });
  }
  if (config.lifetimeCount < 3 * config.maxKeepAliveCount) {
    ctx.addIssue({ code: 'custom', path: ['lifetimeCount'], message: 'must be at least 3 × maxKeepAliveCount (OPC UA Part 4 §5.13.2)' });
  }
  const seen = new Map<string, number>();
  config.items.forEach((item, i) => {
    for (const [key, field] of [[`${item.sensorId}/${item.metric}`, 'metric'], [item.nodeId, 'nodeId']] as const) {
      const first = seen.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['items', i, field], message: `${key} is also items.${first}` });
      else seen.set(key, i);
    }
  });
});

export type OpcuaConfig = z.output<typeof opcuaSchema>;
export type OpcuaItemConfig = OpcuaConfig['items'][number];
