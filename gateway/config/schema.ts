import { z } from 'zod';
import { byteSize, duration } from './duration.js';
import { cityCode, metricName, sensorSchema } from './sensor.js';
import { driverConfigSchema } from '../../drivers/registry.js';
import { DEFAULT_SCORING_RULES, scoringRulesSchema } from '../scores/rules.js';
import { syncSchema } from '../../sync/schema.js';
import { mqttSecurityShape } from '../broker-security/schema.js';
import { alertsSchema } from '../alerts/schema.js';

/** How a metric's value is checked and which unit it is stored in (DESIGN §3 Reading.unit); gateway/pipeline/metric-catalogue.ts. */
const metricSpecSchema = z.strictObject({
  unit: z.string().min(1),
  /** Other spellings of `unit` accepted as-is. */
  aliases: z.array(z.string()).default([]),
  min: z.number(),
  max: z.number(),
});
export type MetricSpec = z.output<typeof metricSpecSchema>;

const gatewaySection = z.strictObject({
  /** Goes into every event id and Kafka record: unique per site. */
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected lowercase letters, digits, . _ - (at most 64)').default('gw-demo'),
  city: cityCode.default('IST'),
  /** Defaults to systemd's $STATE_DIRECTORY, else ./data. */
  dataDir: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

const mqttSection = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('0.0.0.0'),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(1883),
  topicPrefix: z.string().regex(/^[^#+]+$/, 'must not contain MQTT wildcards').default('sensors'),
  maxPayload: byteSize.prefault('64KiB'),
  // broker security (issue 7): allowAnonymous, auth, acl, tls, limits — gateway/broker-security/schema.ts
  ...mqttSecurityShape,
});

// --- http (LAN dashboard, WebSocket API, metrics; docs/dashboard.md) ---
const httpSection = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default('0.0.0.0'),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(8080),
  /** LAN token; when absent one is generated on first start into `<dataDir>/lan-token` (mode 0600). */
  token: z.string().min(16, 'at least 16 characters').optional(),
  /** `false` serves the page and API to anyone on the network: only for a bench or a closed demo. */
  auth: z.boolean().default(true),
  /** Per sensor and metric, at most one `reading` message this often. */
  readingThrottle: duration.prefault('1s'),
  /** How often `status` messages (drivers, uplink, broker) are refreshed. */
  statusInterval: duration.prefault('2s'),
});
// --- end http ---

const ingestSection = z.strictObject({
  unknownSensors: z.enum(['accept', 'quarantine']).default('accept'),
  /** Readings stamped further ahead than this are rejected (device clock wrong). */
  maxFutureSkew: duration.prefault('2m'),
  /** Readings older than this are rejected rather than stored. */
  maxAge: duration.prefault('7d'),
  /** Readings waiting for a commit before the broker stops reading sockets and QoS 0 is shed. */
  maxPendingReadings: z.number().int().positive().default(50_000),
  metrics: z.record(metricName, metricSpecSchema).default({}),
});

const windowSpecSection = z.strictObject({
  tumbling: duration.prefault('5m'),
  sliding: z.union([z.strictObject({ size: duration, slide: duration }), z.null()]).default({ size: 900_000, slide: 60_000 }),
  sessionGap: z.union([duration, z.null()]).prefault('30m'),
  allowedLateness: duration.prefault('30s'),
  revisionHorizon: duration.prefault('1h'),
  idleClose: duration.prefault('1m'),
});

const windowsSection = z.strictObject({
  defaults: windowSpecSection.prefault({}),
  /** Per-metric overrides of `defaults`. */
  metrics: z.record(metricName, windowSpecSection.partial()).default({}),
});

const scoringSection = z.strictObject({
  h3Resolution: z.number().int().min(0).max(9, 'at most 9: finer cells may hold no 3-decimal point a UCID-V1 string can carry').default(9),
  contexts: scoringRulesSchema.default(DEFAULT_SCORING_RULES),
  /** A sensor missing from a window is scored from its last window this recent, flagged STALE. */
  staleHorizon: duration.prefault('1h'),
});

const storeSection = z.strictObject({
  /** Defaults to `<dataDir>/gateway.db`. */
  path: z.string().min(1).optional(),
  /** 0: commit once the I/O already waiting has been read (batches grow with load); more trades latency for bigger batches. */
  groupCommitDelay: duration.prefault('0ms'),
  /** A commit starts no sooner than this after the previous one: caps commits (fsyncs, WAL pages) per second at moderate load… */
  minCommitInterval: duration.prefault('25ms'),
  /** …unless this many readings are waiting: bursts keep their latency… */
  commitNowAtReadings: z.number().int().positive().default(64),
  /** …or this many are due at the arrival rate of the last second or so: at a high rate commits come sooner (docs/pipeline.md). */
  readingsPerCommit: z.number().int().positive().default(25),
  /**
   * WAL checkpoints every 200 ms: `auto` on the event loop while they are cheap, on a worker thread once they are not;
   * `background` on the thread from the start (~5–6 MiB more); `inline` in a commit as SQLite does (100+ ms stalls).
   */
  checkpoints: z.enum(['auto', 'background', 'inline']).default('auto'),
  /**
   * A batch this large commits at once, inside the I/O turn that filled it, and no held client is read into it: after a
   * stall the backlog comes in commits of this size, whose readings die young, not in one that outlives the scavenges.
   */
  maxBatchReadings: z.number().int().positive().default(250),
  rawRetention: duration.prefault('7d'),
  rawBudget: byteSize.prefault('512MiB'),
  /** Window results and scores whose window ended longer ago are deleted (the central Kafka keeps the history); 0 keeps them. */
  resultRetention: duration.prefault('30d'),
  /** How often readings, window results and scores past their retention are deleted. */
  retentionInterval: duration.prefault('1m').refine((ms) => ms >= 100, 'at least 100ms'),
  quarantineMaxRows: z.number().int().positive().default(10_000),
  /** Caps the database file (PRAGMA max_page_count), e.g. on an SD card the OS shares; reaching it is a full disk. */
  maxSize: byteSize.optional(),
  /** Room kept for alerts, windows, scores and the outbox: readings are refused (QoS 0 shed) once less is left. */
  reserve: byteSize.prefault('8MiB'),
});

export const configSchema = z.strictObject({
  gateway: gatewaySection.prefault({}),
  mqtt: mqttSection.prefault({}),
  ingest: ingestSection.prefault({}),
  http: httpSection.prefault({}),
  sensors: z.array(sensorSchema).default([]),
  windows: windowsSection.prefault({}),
  scoring: scoringSection.prefault({}),
  store: storeSection.prefault({}),
  alerts: alertsSchema.prefault({}),
  drivers: z.array(driverConfigSchema).default([]),
  sync: syncSchema.prefault({}),
}).check((ctx) => {
  // issue 7: the simulator connects to the embedded broker without credentials
  if (ctx.value.mqtt.allowAnonymous) return;
  ctx.value.drivers.forEach((d, i) => {
    if (d.type === 'simulator' && d.via === 'mqtt' && ctx.value.mqtt.enabled) {
      ctx.issues.push({ code: 'custom', path: ['drivers', i, 'via'], input: d, message: 'the simulator publishes anonymously to the embedded broker: set mqtt.allowAnonymous: true or via: direct' });
    }
  });
});

export type GatewayConfig = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type WindowSpecConfig = z.output<typeof windowSpecSection>;
