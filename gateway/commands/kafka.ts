import { pino } from 'pino';
import type { ResolvedConfig } from '../config/load.js';
import { createKafka, kafkajsTopicAdmin } from '../../sync/kafka-client.js';
import { createMissingTopics, topicSpecs } from '../../sync/topics.js';
import { describeUplinkError } from '../../sync/uplink.js';

/** `ucid-gateway kafka create-topics`: DESIGN §6 topics with the spec's partitions and retention; idempotent. */
export async function kafkaCommand(args: readonly string[], config: ResolvedConfig, options: { replicationFactor?: string; raw: boolean }): Promise<number> {
  if (args[0] !== 'create-topics') {
    process.stderr.write('usage: ucid-gateway kafka create-topics [--config FILE] [--replication-factor N] [--raw]\n');
    return 2;
  }
  const rf = options.replicationFactor === undefined ? -1 : Number(options.replicationFactor);
  if (!Number.isInteger(rf) || rf === 0 || rf < -1) {
    process.stderr.write(`--replication-factor must be a positive integer, got "${options.replicationFactor}"\n`);
    return 2;
  }
  const { brokers } = config.sync;
  if (brokers.length === 0) {
    process.stderr.write('sync.brokers is empty in the configuration: no Kafka to create topics on\n');
    return 1;
  }
  const kafka = createKafka({ ...config.sync, requestTimeout: 30_000 }, `ucid-gw-${config.gateway.id}-admin`, pino({ level: 'silent' }));
  const admin = kafka.admin();
  const specs = topicSpecs(config.sync.checkpointTopic, { raw: options.raw });
  try {
    await admin.connect();
    for (const r of await createMissingTopics(kafkajsTopicAdmin(admin), specs, rf)) {
      const spec = specs.find((s) => s.topic === r.topic)!;
      const retention = spec.config['retention.ms'] ? `retention ${Number(spec.config['retention.ms']) / 3_600_000} h` : `cleanup.policy ${spec.config['cleanup.policy']}`;
      process.stdout.write(`${r.result === 'created' ? 'created' : 'exists '} ${r.topic} (${spec.partitions} partitions, ${retention})\n`);
    }
    return 0;
  } catch (err) {
    const error = describeUplinkError(err, brokers.join(','));
    const hint = /AUTHORIZATION_FAILED/.test(error.message) ? '\n  this principal may not create topics: run the command with one that has CREATE on the cluster (or on the ucid.* topics)' : '';
    process.stderr.write(`ucid-gateway kafka create-topics: ${error.message}${hint}\n`);
    return 1;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
