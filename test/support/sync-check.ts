import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { expect } from 'vitest';
import type { OutboxRow } from '../../gateway/store/store.js';
import { kcatReadCommitted } from './kafka.js';

export interface Delivered {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  eventId: string;
  kind: string;
  value: Record<string, unknown>;
}

/**
 * Every committed record of `topics` written by `gatewayId`, through a kafkajs consumer with isolation
 * read_committed, up to the partitions' last stable offsets. Another producer's open transaction holds those
 * back until it ends (at most its transaction timeout), so with `atLeast` it looks again until that many came.
 */
export async function consumeCommitted(bootstrap: string, topics: readonly string[], gatewayId: string, atLeast = 0): Promise<Delivered[]> {
  const kafka = new Kafka({ clientId: 'verify', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: `verify-${randomUUID()}`, readUncommitted: false, maxBytes: 64 << 20 });
  const ends = new Map<string, bigint>();
  const reached = new Map<string, bigint>();
  const out: Delivered[] = [];
  const readEnds = async () => {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high) - 1n);
    }
  };
  const done = () => [...ends].every(([id, end]) => (reached.get(id) ?? -1n) >= end);
  try {
    await admin.connect();
    await readEnds();
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read_committed consumer got ${out.length} of ${atLeast} records within 150 s`)), 150_000);
      const check = () => {
        if (!done()) return;
        if (out.length < atLeast) return void setTimeout(() => void readEnds().then(check, reject), 500);
        clearTimeout(timer);
        resolve();
      };
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.lastOffset === null) return;
        const id = `${payload.topic}/${payload.partition}`;
        const offset = BigInt(payload.lastOffset);
        if (offset > (reached.get(id) ?? -1n)) reached.set(id, offset);
        check();
      });
      check();
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          if (message.headers?.gateway_id?.toString() !== gatewayId) return;
          out.push({
            topic, partition, offset: Number(message.offset), key: message.key!.toString(), eventId: message.headers.event_id!.toString(),
            kind: message.headers.kind!.toString(), value: JSON.parse(message.value!.toString()) as Record<string, unknown>,
          });
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
  return out;
}

/** The same through kcat (librdkafka, `-X isolation.level=read_committed`). */
export async function kcatCommitted(bootstrap: string, topics: readonly string[], gatewayId: string, atLeast = 0): Promise<Delivered[]> {
  for (const deadline = Date.now() + 120_000; ;) {
    const out = await kcatOnce(bootstrap, topics, gatewayId);
    if (out.length >= atLeast || Date.now() > deadline) return out;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function kcatOnce(bootstrap: string, topics: readonly string[], gatewayId: string): Promise<Delivered[]> {
  const out: Delivered[] = [];
  for (const topic of topics) {
    for (const r of await kcatReadCommitted(bootstrap, topic)) {
      if (r.headers.gateway_id !== gatewayId) continue;
      out.push({ topic, partition: r.partition, offset: r.offset, key: r.key!, eventId: r.headers.event_id!, kind: r.headers.kind!, value: JSON.parse(r.payload!) });
    }
  }
  return out;
}

/**
 * Exactly once and in order per key: each expected event once, nothing else (Gap events aside), and per key
 * the partition order equals the outbox (seq) order. `expected` is in seq order.
 */
export function expectExactlyOnceInOrder(delivered: readonly Delivered[], expected: readonly OutboxRow[], label: string): void {
  const events = delivered.filter((d) => d.kind !== 'Gap');
  const ids = events.map((d) => d.eventId);
  const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(dupes, `${label}: duplicates`).toEqual([]);
  const want = new Set(expected.map((r) => r.eventId));
  expect(ids.filter((id) => !want.has(id)), `${label}: unexpected`).toEqual([]);
  const got = new Set(ids);
  expect(expected.filter((r) => !got.has(r.eventId)).length, `${label}: missing`).toBe(0);
  const byKey = new Map<string, Delivered[]>();
  for (const d of events) byKey.set(d.key, [...(byKey.get(d.key) ?? []), d]);
  for (const [key, list] of byKey) {
    expect(new Set(list.map((d) => `${d.topic}/${d.partition}`)).size, `${label}: ${key} in one partition`).toBe(1);
    const order = [...list].sort((a, b) => a.offset - b.offset).map((d) => d.eventId);
    expect(order, `${label}: order of ${key}`).toEqual(expected.filter((r) => r.key === key).map((r) => r.eventId));
  }
}
