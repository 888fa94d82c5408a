import { TOPICS } from '../gateway/events/topics.js';

const HOUR_MS = 3_600_000;

export interface TopicSpec {
  topic: string;
  partitions: number;
  config: Record<string, string>;
}

/** DESIGN §6 topics (partitions and retention from the UCID streaming spec) plus the checkpoint topic. */
export function topicSpecs(checkpointTopic: string, options: { raw?: boolean } = {}): TopicSpec[] {
  const retention = (hours: number) => ({ 'cleanup.policy': 'delete', 'retention.ms': String(hours * HOUR_MS) });
  const specs: TopicSpec[] = [
    { topic: TOPICS.scores, partitions: 12, config: retention(7 * 24) },
    { topic: TOPICS.alerts, partitions: 6, config: retention(30 * 24) },
  ];
  if (options.raw) {
    specs.push({ topic: TOPICS.rawSensors, partitions: 24, config: retention(24) });
    specs.push({ topic: TOPICS.rawGtfsRt, partitions: 12, config: retention(24) });
  }
  // One record per gateway per batch, keyed by transactional id; compaction keeps the last per gateway forever.
  specs.push({ topic: checkpointTopic, partitions: 3, config: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': String(HOUR_MS) } });
  return specs;
}

export interface TopicAdmin {
  listTopics(): Promise<string[]>;
  createTopics(specs: readonly TopicSpec[], replicationFactor: number): Promise<void>;
}

export interface TopicResult {
  topic: string;
  result: 'created' | 'exists';
}

/** Idempotent: creates only what is missing. */
export async function createMissingTopics(admin: TopicAdmin, specs: readonly TopicSpec[], replicationFactor = -1): Promise<TopicResult[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length) await admin.createTopics(missing, replicationFactor);
  return specs.map((s) => ({ topic: s.topic, result: existing.has(s.topic) ? 'exists' : 'created' }));
}
