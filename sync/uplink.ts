import { GatewayError } from '../gateway/errors.js';

export interface UplinkRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Where a record landed: enough to read it back with a read_committed fetch. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * The small interface sync/ needs from a Kafka client (kafkajs today, see kafka-client.ts). One
 * transactional producer per gateway; `connect` fences earlier instances and completes their transactions.
 */
export interface UplinkClient {
  connect(): Promise<void>;
  /** Fails with a clear GatewayError when a topic is missing and cannot (or may not) be created. */
  ensureTopics(topics: readonly string[], create: boolean): Promise<void>;
  /**
   * One transaction: `records` plus `checkpoint`. `beforeCommit` runs after the broker has appended them and
   * before the commit, with the checkpoint's position; if it throws, the transaction is aborted.
   */
  sendTransaction(records: readonly UplinkRecord[], checkpoint: UplinkRecord, beforeCommit: (position: RecordPosition) => void | Promise<void>): Promise<void>;
  /** Whether the record at `position` is visible to a read_committed consumer (false: aborted or never written). */
  isCommitted(position: RecordPosition, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

interface KafkaLikeError {
  name?: string;
  message?: string;
  type?: string;
  code?: string;
  originalError?: unknown;
  cause?: unknown;
  errors?: unknown[];
}

function chain(err: unknown): KafkaLikeError[] {
  const out: KafkaLikeError[] = [];
  let current: unknown = err;
  while (current && typeof current === 'object' && out.length < 8) {
    const e = current as KafkaLikeError;
    out.push(e);
    current = e.originalError ?? e.cause ?? e.errors?.[0];
  }
  return out;
}

const AUTH_TYPES = new Set(['TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED']);

/** The broker refused a record batch as too large (message.max.bytes): the worker halves its batches. */
export function isTooLarge(err: unknown): boolean {
  return chain(err).some((e) => e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE');
}

/** Turns a client error into a GatewayError whose message says what to fix (docs/sync.md, bad configuration). */
export function describeUplinkError(err: unknown, where: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const errors = chain(err);
  const types = errors.map((e) => e.type).filter((t): t is string => Boolean(t));
  const names = errors.map((e) => e.name ?? '');
  const codes = errors.map((e) => e.code).filter(Boolean);
  const last = errors[errors.length - 1]?.message ?? String(err);
  if (names.includes('KafkaJSSASLAuthenticationError')) {
    return new GatewayError('UPLINK_REJECTED', `SASL authentication to ${where} failed (check sync.sasl): ${last}`, { cause: err });
  }
  const auth = types.find((t) => AUTH_TYPES.has(t));
  if (auth) return new GatewayError('UPLINK_REJECTED', `not authorised by ${where} (${auth}): ${last}`, { cause: err });
  if (types.includes('PRODUCER_FENCED') || types.includes('INVALID_PRODUCER_EPOCH')) {
    return new GatewayError('UPLINK_UNAVAILABLE', `fenced by a newer producer with the same transactional id (is another gateway running with this gateway.id?): ${last}`, { cause: err });
  }
  if (types.includes('UNKNOWN_TOPIC_OR_PARTITION')) return new GatewayError('UPLINK_REJECTED', `a topic is missing on ${where}: ${last}`, { cause: err });
  const net = names.some((n) => n === 'KafkaJSConnectionError' || n === 'KafkaJSNoBrokerAvailableError' || n === 'KafkaJSRequestTimeoutError')
    || codes.some((c) => c === 'ECONNREFUSED' || c === 'ENOTFOUND' || c === 'EHOSTUNREACH' || c === 'ETIMEDOUT');
  if (net) return new GatewayError('UPLINK_UNAVAILABLE', `cannot reach Kafka at ${where}: ${last}`, { cause: err });
  return new GatewayError('UPLINK_UNAVAILABLE', `${where}: ${types[0] ? `${types[0]}: ` : ''}${last}`, { cause: err });
}
