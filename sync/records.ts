import type { OutboxRecord } from './outbox.js';
import type { UplinkRecord } from './uplink.js';

/** DESIGN §6 value: the stored payload JSON plus `published_at`, spliced in without a parse/stringify round trip. */
export function withPublishedAt(payload: string, publishedAt: string): string {
  const trimmed = payload.trimEnd();
  if (trimmed.endsWith('}') && trimmed.length > 2 && trimmed.startsWith('{')) return `${trimmed.slice(0, -1)},"published_at":"${publishedAt}"}`;
  return JSON.stringify({ ...(JSON.parse(payload) as object), published_at: publishedAt });
}

const PAYLOAD_CORRELATION = /"correlation_id":"([^"\\]+)"/;

/**
 * Headers carry `event_id` (consumers that don't read committed dedupe on it), the event's own correlation id
 * (the reading that led to it, DESIGN §8), else the batch's, and the batch's as `batch_id`.
 */
export function toUplinkRecord(row: OutboxRecord, gatewayId: string, correlationId: string, publishedAt: string): UplinkRecord {
  const own = PAYLOAD_CORRELATION.exec(row.payload)?.[1];
  return {
    topic: row.topic,
    key: row.key,
    value: withPublishedAt(row.payload, publishedAt),
    headers: { event_id: row.eventId, correlation_id: own ?? correlationId, batch_id: correlationId, gateway_id: gatewayId, kind: row.kind },
  };
}

export interface CheckpointValue {
  schema: 'ucid.checkpoint.v1';
  gateway_id: string;
  transactional_id: string;
  from_seq: number;
  seq: number;
  events: number;
  correlation_id: string;
  published_at: string;
}

/** One per transaction, keyed by transactional id on the compacted checkpoint topic: "delivered up to seq". */
export function checkpointRecord(topic: string, value: CheckpointValue): UplinkRecord {
  return { topic, key: value.transactional_id, value: JSON.stringify(value), headers: { correlation_id: value.correlation_id, gateway_id: value.gateway_id } };
}

export interface Batch {
  rows: readonly OutboxRecord[];
  fromSeq: number;
  toSeq: number;
  correlationId: string;
  topics: string[];
  records: UplinkRecord[];
  checkpoint: UplinkRecord;
}

/** One outbox page as one Kafka transaction: its records plus the checkpoint "delivered up to toSeq". */
export function prepareBatch(rows: readonly OutboxRecord[], ids: { gatewayId: string; transactionalId: string; checkpointTopic: string; publishedAt: string }): Batch {
  const fromSeq = rows[0]!.seq;
  const toSeq = rows[rows.length - 1]!.seq;
  const correlationId = `${ids.gatewayId}:${fromSeq}-${toSeq}`;
  return {
    rows, fromSeq, toSeq, correlationId,
    topics: [...new Set(rows.map((r) => r.topic))],
    records: rows.map((r) => toUplinkRecord(r, ids.gatewayId, correlationId, ids.publishedAt)),
    checkpoint: checkpointRecord(ids.checkpointTopic, {
      schema: 'ucid.checkpoint.v1', gateway_id: ids.gatewayId, transactional_id: ids.transactionalId, from_seq: fromSeq, seq: toSeq,
      events: rows.length, correlation_id: correlationId, published_at: ids.publishedAt,
    }),
  };
}
