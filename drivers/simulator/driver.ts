import mqtt, { type MqttClient } from 'mqtt';
import type { Reading } from '../../gateway/reading.js';
import type { Driver, DriverContext, DriverFactory } from '../driver.js';
import { SIMULATED_SENSORS, simulatedSensorId, siteLocation, type SimulatorConfig } from './schema.js';
import { SIGNALS, SIGNAL_UNITS } from './signals.js';

interface SimulatedMessage {
  topic: string;
  payload: string;
  readings: Reading[];
}

const round = (value: number) => Math.round(value * 100) / 100;

/** Publishes synthetic readings like a real sensor would: through the embedded broker, or straight to the pipeline. */
export const createDriver: DriverFactory<SimulatorConfig> = (config, context): Driver => {
  let client: MqttClient | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const prefix = context.embeddedBroker?.sensorTopicPrefix ?? 'sensors';

  function messagesAt(ts: number): SimulatedMessage[] {
    const messages: SimulatedMessage[] = [];
    for (let site = 0; site < config.sites; site++) {
      const { lon } = siteLocation(config, site);
      for (const sensor of SIMULATED_SENSORS) {
        const sensorId = simulatedSensorId(config, sensor.kind, site);
        const values: Record<string, number> = {};
        for (const metric of sensor.metrics) values[metric] = round(SIGNALS[metric]!({ seed: config.seed, sensorId, site, lon, ts }));
        const readings = sensor.metrics.map((metric): Reading => ({
          sensorId, metric, value: values[metric]!, unit: SIGNAL_UNITS[metric]!, ts, quality: 'good', source: config.name, receivedAt: ts,
        }));
        const [only] = sensor.metrics;
        const message = sensor.metrics.length > 1
          ? { topic: `${prefix}/all/${sensorId}`, payload: JSON.stringify({ ts, values }) }
          : { topic: `${prefix}/${only}/${sensorId}`, payload: JSON.stringify({ value: values[only], ts, unit: SIGNAL_UNITS[only] }) };
        messages.push({ ...message, readings });
      }
    }
    return messages;
  }

  async function publish(messages: SimulatedMessage[]): Promise<void> {
    if (client) {
      await Promise.all(messages.map((m) => client!.publishAsync(m.topic, m.payload, { qos: config.qos })));
    } else {
      const now = Date.now();
      await context.submit(messages.flatMap((m) => m.readings.map((r) => ({ ...r, receivedAt: now }))));
    }
    context.markReading(Date.now());
  }

  async function tick(): Promise<void> {
    try {
      await publish(messagesAt(Date.now()));
      context.setHealth('up');
    } catch (err) {
      context.countError('publish');
      context.setHealth('degraded', (err as Error).message);
      context.log.warn({ err }, 'simulated publish failed');
    }
  }

  return {
    async start() {
      context.setHealth('connecting');
      const broker = context.embeddedBroker;
      if (config.via === 'mqtt' && broker) {
        const host = broker.host === '0.0.0.0' || broker.host === '::' ? '127.0.0.1' : broker.host;
        client = await mqtt.connectAsync(`mqtt://${host}:${broker.port}`, { clientId: `${config.name}-${process.pid}`, reconnectPeriod: 1000 });
      }
      const now = Date.now();
      const first = now - config.backfill;
      for (let ts = first - (first % config.interval); ts < now && !stopped; ts += config.interval * 20) {
        const batch: SimulatedMessage[] = [];
        for (let t = ts; t < Math.min(now, ts + config.interval * 20); t += config.interval) batch.push(...messagesAt(t));
        await publish(batch);
      }
      context.log.info({ sensors: config.sites * SIMULATED_SENSORS.length, backfillMs: config.backfill, via: client ? 'mqtt' : 'direct' }, 'simulator running');
      context.setHealth('up');
      if (!stopped) timer = setInterval(() => void tick(), config.interval);
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await client?.endAsync();
      context.setHealth('stopped');
    },
  };
};
