import { z } from 'zod';
import { SCRYPT_HASH_PATTERN } from './passwords.js';

const topicFilter = z.string().min(1).refine((f) => f.split('/').every((level, i, all) => (level !== '#' || i === all.length - 1) && (!/[+#]/.test(level) || level.length === 1)), 'not a valid MQTT topic filter');

export const scryptHash = z.string().regex(SCRYPT_HASH_PATTERN, 'expected a scrypt hash from `ucid-gateway passwd` ($scrypt$N=…,r=…,p=…$salt$key)');

const aclRule = z.strictObject({
  /** Usernames (or certificate CNs) the rule is for; omitted: every authenticated client. */
  users: z.array(z.string().min(1)).min(1).optional(),
  /** The rule is for anonymous clients instead (only with allowAnonymous). */
  anonymous: z.boolean().default(false),
  /** Topic filters; `%u` is the username, `%c` the client id. */
  publish: z.array(topicFilter).default([]),
  subscribe: z.array(topicFilter).default([]),
});

const tlsSection = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(0).max(65535).default(8883),
  cert: z.string().min(1),
  key: z.string().min(1),
  /** CA bundle that client certificates must chain to. */
  ca: z.string().min(1).optional(),
  /** `required` is mTLS: the handshake fails without a certificate signed by `ca`; its CN is the identity. */
  clientCertificates: z.enum(['none', 'optional', 'required']).default('none'),
}).check((ctx) => {
  if (ctx.value.clientCertificates !== 'none' && !ctx.value.ca) {
    ctx.issues.push({ code: 'custom', path: ['ca'], message: `needed when clientCertificates is ${ctx.value.clientCertificates}`, input: ctx.value });
  }
});

const limitsSection = z.strictObject({
  maxTopicLevels: z.number().int().min(1).max(100).default(16),
  maxConnections: z.number().int().positive().default(1_000),
  /** Per remote address, counted at TCP accept (before TLS or CONNECT). */
  maxConnectionsPerIp: z.number().int().positive().default(64),
  /** Token bucket per client: publishes beyond it are delayed (the socket is not read meanwhile). */
  publishRate: z.union([z.strictObject({ perSecond: z.number().positive(), burst: z.number().int().positive().default(100) }), z.null()]).default(null),
});

/** Keys merged into the `mqtt:` section. */
export const mqttSecurityShape = {
  /** Clients without credentials or certificate. Off unless enabled (the demo enables it). */
  allowAnonymous: z.boolean().default(false),
  auth: z.strictObject({
    users: z.array(z.strictObject({ username: z.string().min(1).regex(/^[^:/+#\s]+$/, 'no : / + # or spaces'), passwordHash: scryptHash })).default([]),
    /** `username:$scrypt$…` lines, as `ucid-gateway passwd --file` writes them; re-read on SIGHUP. */
    file: z.string().min(1).optional(),
  }).prefault({}),
  /** Omitted: each authenticated client may publish `{topicPrefix}/+/%u` only (anonymous ones anything). */
  acl: z.array(aclRule).optional(),
  tls: tlsSection.optional(),
  limits: limitsSection.prefault({}),
};

export type AclRule = z.output<typeof aclRule>;
export type MqttTlsConfig = z.output<typeof tlsSection>;
export type MqttLimits = z.output<typeof limitsSection>;
const mqttSecurityObject = z.object(mqttSecurityShape);
export type MqttSecurityOutput = z.output<typeof mqttSecurityObject>;
