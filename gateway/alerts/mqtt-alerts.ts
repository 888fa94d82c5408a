import type { Logger } from 'pino';
import type { GatewayBus } from '../bus.js';
import type { AlertEvent } from '../store/alert-store.js';

interface AlertBroker {
  publish(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
}

/**
 * Alerts on the embedded broker, after commit, for a local siren or PLC: every event on
 * `{prefix}/{city}/{context}`, and the active state retained on `{prefix}/{city}/{context}/{key}`
 * (cleared with an empty retained message), so a subscriber that connects late sees what is active.
 */
export function publishAlertsToBroker(bus: GatewayBus, broker: AlertBroker, prefix: string, log: Logger): void {
  bus.on('alerts', (events) => {
    for (const event of events) void publishOne(event);
  });

  async function publishOne(event: AlertEvent): Promise<void> {
    const topic = `${prefix}/${event.city}/${event.context ?? event.kind}`;
    const payload = JSON.stringify(event);
    try {
      await broker.publish(topic, payload, { qos: 1, retain: false });
      if (event.kind !== 'AnomalyDetected') {
        const stateTopic = `${topic}/${event.key.replace(/[#+/]/g, '_')}`;
        await broker.publish(stateTopic, event.state === 'cleared' ? '' : payload, { qos: 1, retain: true });
      }
    } catch (err) {
      log.warn({ err, eventId: event.eventId }, 'alert not published to the embedded broker');
    }
  }
}
