import { createServer, type Server } from 'node:net';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { EmbeddedBrokerPort } from '../drivers/driver.js';
import type { GatewayMetrics } from './metrics.js';

type PublishHandler = Parameters<EmbeddedBrokerPort['onPublish']>[0];

export interface BrokerOptions {
  host: string;
  port: number;
  topicPrefix: string;
  maxPayloadBytes: number;
}

/**
 * The embedded aedes broker. Publishes pass through `authorizePublish`, which aedes runs before it
 * writes a QoS 1 PUBACK: the ingest handlers resolve only after the SQLite commit (DESIGN §9). aedes
 * reads a client's next socket chunk only when every packet of the current one is done, so a slow
 * commit stops reading from that socket instead of growing a queue.
 */
export class EmbeddedBroker implements EmbeddedBrokerPort {
  private handlers: PublishHandler[] = [];
  private constructor(
    private readonly aedes: Aedes,
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    readonly sensorTopicPrefix: string,
    readonly maxPayloadBytes: number,
  ) {}

  static async start(options: BrokerOptions, log: Logger, metrics: GatewayMetrics): Promise<EmbeddedBroker> {
    let broker: EmbeddedBroker | null = null;
    const aedes = await Aedes.createBroker({
      authorizePublish: (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
        if (!broker || !client) return callback(null);
        broker.dispatch(client, packet).then(() => callback(null), (err: Error) => {
          if (packet.qos === 0) return callback(null);
          log.warn({ clientId: client.id, topic: packet.topic, err: err.message }, 'publish refused; the client will retry');
          callback(err);
        });
      },
    });
    aedes.on('client', () => metrics.brokerClients.inc());
    aedes.on('clientDisconnect', () => metrics.brokerClients.dec());
    aedes.on('clientError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt client error'));
    aedes.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt connection error'));

    const server = createServer(aedes.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error({ err }, 'mqtt listener error'));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    broker = new EmbeddedBroker(aedes, server, options.host, port, options.topicPrefix, options.maxPayloadBytes);
    log.info({ host: options.host, port }, 'mqtt broker listening');
    return broker;
  }

  onPublish(handler: PublishHandler): void {
    this.handlers.push(handler);
  }

  /** Publishes from the gateway itself (alerts to a local siren or PLC); an empty retained payload clears the topic. */
  publish(topic: string, payload: string, options: { qos: 0 | 1; retain: boolean }): Promise<void> {
    const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: options.qos, retain: options.retain, dup: false } as PublishPacket;
    return new Promise((resolve, reject) => this.aedes.publish(packet, (err?: Error) => (err ? reject(err) : resolve())));
  }

  get clientCount(): number {
    return this.aedes.connectedClients;
  }

  /** Stops accepting connections and closes every client (their unacknowledged publishes are retried elsewhere). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async dispatch(client: Client, packet: PublishPacket): Promise<void> {
    if (packet.topic.startsWith('$SYS/')) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    for (const handler of this.handlers) await handler(packet.topic, payload, packet.qos, client.id);
  }
}
