import type { Logger } from 'pino';
import type { SyncConfig } from './schema.js';
import type { RecordPosition, UplinkClient, UplinkRecord } from './uplink.js';

/** kafkajs (~200 files) is imported on the first call, so a gateway with sync off never loads it (start-up on a Pi). */
export class LazyKafkajsUplink implements UplinkClient {
  private client: Promise<UplinkClient> | null = null;

  constructor(private readonly config: SyncConfig, private readonly transactionalId: string, private readonly log: Logger) {}

  connect(): Promise<void> {
    return this.get().then((c) => c.connect());
  }

  ensureTopics(topics: readonly string[], create: boolean): Promise<void> {
    return this.get().then((c) => c.ensureTopics(topics, create));
  }

  sendTransaction(records: readonly UplinkRecord[], checkpoint: UplinkRecord, beforeCommit: (position: RecordPosition) => void | Promise<void>): Promise<void> {
    return this.get().then((c) => c.sendTransaction(records, checkpoint, beforeCommit));
  }

  isCommitted(position: RecordPosition, timeoutMs: number): Promise<boolean> {
    return this.get().then((c) => c.isCommitted(position, timeoutMs));
  }

  async close(): Promise<void> {
    if (this.client) await (await this.client).close();
  }

  private get(): Promise<UplinkClient> {
    this.client ??= import('./kafka-client.js').then(({ KafkajsUplink, createKafka }) => {
      const { config, transactionalId } = this;
      return new KafkajsUplink(createKafka(config, transactionalId, this.log), config.brokers, {
        transactionalId, checkpointTopic: config.checkpointTopic, compression: config.compression, requestTimeoutMs: config.requestTimeout,
      });
    });
    return this.client;
  }
}
