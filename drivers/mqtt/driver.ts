import type { Reading } from '../../gateway/reading.js';
import type { Driver, DriverContext, DriverFactory } from '../driver.js';
import { SampledLog } from '../../gateway/sampled-log.js';
import { parseSensorMessage } from './payload.js';
import type { MqttDriverConfig } from './schema.js';

/** Ingests sensor publishes on the embedded broker; resolves (so the broker sends PUBACK) after commit. */
export const createDriver: DriverFactory<MqttDriverConfig> = (config, context): Driver => {
  const prefix = `${config.topicPrefix}/`;
  const quarantined = new SampledLog(context.log);

  /** Not async: the pipeline's promise is returned as it is, one promise a publish fewer. */
  function onPublish(topic: string, payload: Buffer, qos: 0 | 1 | 2, clientId: string): Promise<void> | undefined {
    if (!topic.startsWith(prefix)) return undefined;
    const receivedAt = Date.now();
    const limit = context.embeddedBroker?.maxPayloadBytes ?? Infinity;
    const parsed = payload.length > limit
      ? { ok: false as const, reason: `payload of ${payload.length} bytes is over the ${limit}-byte limit (mqtt.maxPayload)` }
      : parseSensorMessage(config.topicPrefix, topic, payload);
    if (!parsed.ok) {
      context.countError('payload');
      quarantined.warn(topic, { topic, clientId, reason: parsed.reason }, 'payload quarantined');
      return context.reject({ source: config.name, reason: parsed.reason, origin: topic, payload: payload.subarray(0, 1024) });
    }
    const readings: Reading[] = parsed.values.map((v) => ({
      sensorId: v.sensorId,
      metric: v.metric,
      value: v.value,
      unit: v.unit ?? '',
      ts: v.ts ?? receivedAt,
      tsFromArrival: v.ts === undefined,
      quality: v.quality,
      source: config.name,
      receivedAt,
    }));
    context.markReading(receivedAt);
    return context.submit(readings, { sheddable: qos === 0 });
  }

  return {
    async start() {
      const broker = context.embeddedBroker;
      if (!broker) throw new Error('the mqtt driver needs the embedded broker (mqtt.enabled: true)');
      broker.onPublish(onPublish);
      context.setHealth('up', `listening on ${broker.host}:${broker.port} under ${prefix}`);
    },
    async stop() {
      quarantined.stop();
      context.setHealth('stopped');
    },
  };
};
