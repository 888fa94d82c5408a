import { z } from 'zod';
import { byteSize, duration } from '../gateway/config/duration.js';

const broker = z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected host:port');
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name');

const tlsSection = z.strictObject({
  caFile: z.string().min(1).optional(),
  certFile: z.string().min(1).optional(),
  keyFile: z.string().min(1).optional(),
  servername: z.string().min(1).optional(),
  rejectUnauthorized: z.boolean().default(true),
});

const saslSection = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  password: z.string().min(1),
});

const retrySection = z.strictObject({
  initial: duration.prefault('500ms'),
  max: duration.prefault('5m'),
  multiplier: z.number().min(1).max(10).default(2),
});

const compactionSection = z.strictObject({
  /** How often the byte budget is checked (an O(1) read of the outbox counters). */
  interval: duration.prefault('5s'),
  /** Compaction frees down to this fraction of the budget, so it does not run on every insert. */
  lowWater: z.number().gt(0).max(1).default(0.9),
  /** Score updates whose window ended longer ago than this may be rolled up into coarser windows. */
  rollupAfter: duration.prefault('6h'),
  /** Roll-up steps, finest first: keep the last update per key per step. */
  rollupSteps: z.array(duration).min(1).prefault(['1h', '6h', '1d']),
});

/** DESIGN §6 store-and-forward uplink. Off by default: the demo has no Kafka. The byte budget applies either way. */
export const syncSchema = z.strictObject({
  enabled: z.boolean().default(false),
  brokers: z.array(broker).default([]),
  /** Defaults to `ucid-gw-<gateway.id>`; must be stable per gateway (DESIGN §6 exactly once). */
  transactionalId: z.string().min(1).optional(),
  checkpointTopic: topicName.default('ucid.gateway.checkpoints'),
  /** Create missing topics on connect (needs CREATE rights); otherwise run `ucid-gateway kafka create-topics`. */
  createTopics: z.boolean().default(false),
  tls: z.union([z.boolean(), tlsSection]).default(false),
  sasl: z.union([saslSection, z.null()]).default(null),
  compression: z.enum(['gzip', 'none']).default('gzip'),
  batchMaxEvents: z.number().int().positive().max(100_000).default(5_000),
  batchMaxBytes: byteSize.prefault('4MiB'),
  pollInterval: duration.prefault('500ms'),
  connectionTimeout: duration.prefault('10s'),
  requestTimeout: duration.prefault('30s'),
  retry: retrySection.prefault({}),
  /** Consecutive failures before the breaker opens. */
  breakerThreshold: z.number().int().positive().default(3),
  /** Outbox byte budget (payload + key + estimated row overhead); sized for an SD card. */
  budget: byteSize.prefault('256MiB'),
  compaction: compactionSection.prefault({}),
}).superRefine((sync, ctx) => {
  if (sync.enabled && sync.brokers.length === 0) ctx.addIssue({ code: 'custom', path: ['brokers'], message: 'at least one broker is needed when sync is enabled' });
  if (sync.retry.max < sync.retry.initial) ctx.addIssue({ code: 'custom', path: ['retry', 'max'], message: 'must be at least retry.initial' });
});

export type SyncConfig = z.output<typeof syncSchema>;
export type SyncConfigInput = z.input<typeof syncSchema>;
