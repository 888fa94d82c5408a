import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
// before kafkajs: replaces its Produce encoder and message grouping (see the module)
import './kafkajs-produce.js';
import type { ConnectionOptions } from 'node:tls';
import {
  CompressionTypes, Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Message, type PartitionMetadata, type Producer, type RecordMetadata, type SASLOptions,
} from 'kafkajs';
import type { Logger } from 'pino';
import { GatewayError } from '../gateway/errors.js';
import type { SyncConfig } from './schema.js';
import { keyPartition } from './partitioner.js';
import { createMissingTopics, topicSpecs, type TopicAdmin, type TopicSpec } from './topics.js';
import { describeUplinkError, type RecordPosition, type UplinkClient, type UplinkRecord } from './uplink.js';

const PARTITION_BATCH_BYTES = 900_000;
const RECORD_OVERHEAD_BYTES = 70;

export type KafkaConnectionConfig = Pick<SyncConfig, 'brokers' | 'tls' | 'sasl' | 'connectionTimeout' | 'requestTimeout'>;

function tlsOptions(tls: SyncConfig['tls']): boolean | ConnectionOptions {
  if (typeof tls === 'boolean') return tls;
  const read = (file?: string) => (file ? readFileSync(file) : undefined);
  return { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile), servername: tls.servername, rejectUnauthorized: tls.rejectUnauthorized };
}


export function createKafka(config: KafkaConnectionConfig, clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: [...config.brokers],
    ssl: tlsOptions(config.tls),
    // copied: kafkajs adds fields to it, and the resolved config is frozen
    sasl: config.sasl ? ({ ...config.sasl } as SASLOptions) : undefined,
    connectionTimeout: config.connectionTimeout,
    authenticationTimeout: config.connectionTimeout,
    requestTimeout: config.requestTimeout,
    retry: { retries: 4, initialRetryTime: 300, maxRetryTime: 5_000 },
    logLevel: log.isLevelEnabled('debug') ? logLevel.INFO : logLevel.WARN,
    // kafkajs logs every retriable broker error at ERROR; the worker reports what matters itself, so these go to debug.
    logCreator: () => ({ namespace, log: { message, ...extra } }: LogEntry) => log.debug({ kafkajs: namespace, ...extra }, message),
  });
}

export function kafkajsTopicAdmin(admin: Admin): TopicAdmin {
  return {
    listTopics: () => admin.listTopics(),
    createTopics: async (specs: readonly TopicSpec[], replicationFactor: number) => {
      await admin.createTopics({
        waitForLeaders: true,
        topics: specs.map((s) => ({
          topic: s.topic, numPartitions: s.partitions, replicationFactor,
          configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
        })),
      });
    },
  };
}

export interface KafkajsUplinkOptions {
  transactionalId: string;
  checkpointTopic: string;
  compression: SyncConfig['compression'];
  requestTimeoutMs: number;
}

/** UplinkClient on kafkajs 2.2.4: transactional (hence idempotent, acks=all) producer; see docs/sync.md for Kafka 4.x. */
export class KafkajsUplink implements UplinkClient {
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private readonly knownTopics = new Set<string>();
  private readonly partitionCounts = new Map<string, PartitionMetadata[]>();
  private readonly where: string;

  constructor(private readonly kafka: Kafka, brokers: readonly string[], private readonly options: KafkajsUplinkOptions) {
    this.where = brokers.join(',');
  }

  async connect(): Promise<void> {
    try {
      const producer = this.kafka.producer({
        transactionalId: this.options.transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000,
        allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner,
        // The first AddPartitionsToTxn after a commit usually meets CONCURRENT_TRANSACTIONS while the broker
        // writes the markers; a short first backoff (as the Java client's 20 ms) instead of kafkajs's 300 ms.
        retry: { retries: 10, initialRetryTime: 25, maxRetryTime: 2_000 },
      });
      this.producer = producer;
      await producer.connect();
      // InitProducerId happens on the first transaction: it fences older instances and completes their transactions.
      await (await producer.transaction()).abort();
    } catch (err) {
      throw describeUplinkError(err, this.where);
    }
  }

  async ensureTopics(topics: readonly string[], create: boolean): Promise<void> {
    const wanted = topics.filter((t) => !this.knownTopics.has(t));
    if (wanted.length === 0) return;
    try {
      this.admin ??= this.kafka.admin();
      await this.admin.connect();
      const existing = new Set(await this.admin.listTopics());
      const missing = wanted.filter((t) => !existing.has(t));
      if (missing.length && !create) {
        throw new GatewayError('UPLINK_REJECTED', `topic(s) ${missing.join(', ')} missing on ${this.where} (or not visible to this principal): `
          + 'run `ucid-gateway kafka create-topics` or set sync.createTopics: true');
      }
      if (missing.length) {
        const specs = topicSpecs(this.options.checkpointTopic, { raw: true }).filter((s) => missing.includes(s.topic));
        const unknown = missing.filter((t) => !specs.some((s) => s.topic === t)).map((topic): TopicSpec => ({ topic, partitions: 1, config: {} }));
        await createMissingTopics(kafkajsTopicAdmin(this.admin), [...specs, ...unknown]);
      }
      for (const t of (await this.admin.fetchTopicMetadata({ topics: wanted })).topics) this.partitionCounts.set(t.name, t.partitions);
      for (const t of wanted) this.knownTopics.add(t);
    } catch (err) {
      throw describeUplinkError(err, this.where);
    }
  }

  async sendTransaction(records: readonly UplinkRecord[], checkpoint: UplinkRecord, beforeCommit: (position: RecordPosition) => void | Promise<void>): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new GatewayError('UPLINK_UNAVAILABLE', 'not connected');
    let tx: Awaited<ReturnType<Producer['transaction']>> | null = null;
    try {
      tx = await producer.transaction();
      const metadata: RecordMetadata[] = [];
      for (const chunk of this.chunks([...records, checkpoint])) {
        metadata.push(...await tx.sendBatch({
          acks: -1, timeout: this.options.requestTimeoutMs,
          compression: this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
          topicMessages: [...chunk].map(([topic, messages]) => ({ topic, messages })),
        }));
      }
      const cp = metadata.find((m) => m.topicName === checkpoint.topic);
      if (!cp || cp.baseOffset === undefined) throw new GatewayError('UPLINK_UNAVAILABLE', 'no offset returned for the checkpoint record');
      await beforeCommit({ topic: checkpoint.topic, partition: cp.partition, offset: cp.baseOffset });
      await tx.commit();
    } catch (err) {
      if (tx?.isActive()) await tx.abort().catch(() => undefined);
      throw describeUplinkError(err, this.where);
    }
  }

  /**
   * kafkajs puts all of a request's records for one partition in one record batch and never splits it; the
   * broker refuses batches over message.max.bytes (1 MiB by default). So a transaction goes out in requests
   * that keep each partition under PARTITION_BATCH_BYTES (uncompressed), in order.
   */
  private *chunks(records: readonly UplinkRecord[]): Generator<Map<string, Message[]>> {
    let chunk = new Map<string, Message[]>();
    let perPartition = new Map<string, number>();
    for (const r of records) {
      const meta = this.partitionCounts.get(r.topic);
      const partition = meta ? keyPartition(r.key, meta.length) : 0;
      const id = `${r.topic}/${partition}`;
      let size = RECORD_OVERHEAD_BYTES + Buffer.byteLength(r.key) + Buffer.byteLength(r.value);
      for (const [k, v] of Object.entries(r.headers)) size += k.length + Buffer.byteLength(v);
      if (chunk.size > 0 && (perPartition.get(id) ?? 0) + size > PARTITION_BATCH_BYTES) {
        yield chunk;
        chunk = new Map();
        perPartition = new Map();
      }
      perPartition.set(id, (perPartition.get(id) ?? 0) + size);
      let list = chunk.get(r.topic);
      if (!list) chunk.set(r.topic, (list = []));
      list.push(meta ? { key: r.key, value: r.value, headers: r.headers, partition } : { key: r.key, value: r.value, headers: r.headers });
    }
    if (chunk.size > 0) yield chunk;
  }

  async isCommitted(position: RecordPosition, timeoutMs: number): Promise<boolean> {
    // kafkajs has no group-less fetch: a throwaway group (no offsets committed) reads the one record.
    const consumer = this.kafka.consumer({ groupId: `${this.options.transactionalId}.verify.${randomUUID()}`, readUncommitted: false, maxWaitTimeInMs: 500 });
    const target = BigInt(position.offset);
    let seen = false;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [position.topic], fromBeginning: false });
      return await new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => reject(new GatewayError('UPLINK_UNAVAILABLE',
          `checkpoint ${position.topic}[${position.partition}]@${position.offset} not readable with read_committed after ${timeoutMs} ms`)), timeoutMs);
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          if (payload.partition !== position.partition || payload.lastOffset === null || BigInt(payload.lastOffset) < target) return;
          clearTimeout(timer);
          resolve(seen);
        });
        consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (partition === position.partition && message.offset === position.offset) seen = true;
          },
        }).then(() => consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset }), reject);
      });
    } catch (err) {
      throw describeUplinkError(err, this.where);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    const producer = this.producer;
    const admin = this.admin;
    this.producer = null;
    this.admin = null;
    this.knownTopics.clear();
    this.partitionCounts.clear();
    await Promise.allSettled([producer?.disconnect(), admin?.disconnect()]);
  }
}
