import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Server as TlsServer, TlsOptions } from 'node:tls';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import { listenPlain, listenTls } from './broker-security/listeners.js';
import type { BrokerSecurity } from './broker-security/security.js';
import type { Logger } from 'pino';
import type { EmbeddedBrokerPort } from '../drivers/driver.js';
import type { GatewayMetrics } from './metrics.js';
import { guardPacketSize } from './mqtt-packet-guard.js';
import { errorMessage } from './errors.js';

type PublishHandler = Parameters<EmbeddedBrokerPort['onPublish']>[0];

/** What readWaiting() uses of an aedes 1.x client (lib/client.js: `nextBatch`, `enqueue`). */
interface ClientReadState {
  _parsingBatch: number;
  _paused: boolean;
  _parser: { parse(chunk: Buffer): void };
  conn: Duplex;
  connected: boolean;
}

export interface BrokerOptions {
  host: string;
  port: number;
  topicPrefix: string;
  maxPayloadBytes: number;
  // --- security (issue 7, gateway/broker-security/): identity, ACL, limits, TLS listener ---
  security: BrokerSecurity;
  maxTopicLevels: number;
  tls?: { host: string; port: number; options: TlsOptions };
}

/**
 * The embedded aedes broker. Publishes pass through `authorizePublish`, which aedes runs before it
 * writes a QoS 1 PUBACK: the ingest handlers resolve only after the SQLite commit (DESIGN §9). aedes
 * reads a client's next socket chunk only when every packet of the current one is done, so a slow
 * commit stops reading from that socket instead of growing a queue.
 */
export class EmbeddedBroker implements EmbeddedBrokerPort {
  private handlers: PublishHandler[] = [];
  /** Clients with a publish waiting for the next commit, so not read meanwhile (see readWaiting). */
  private readonly waiting = new Set<Client>();
  private constructor(
    private readonly log: Logger,
    private readonly aedes: Aedes,
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    readonly sensorTopicPrefix: string,
    readonly maxPayloadBytes: number,
    private readonly tlsServer: TlsServer | null = null,
    readonly tlsPort: number | null = null,
  ) {}

  static async start(options: BrokerOptions, log: Logger, metrics: GatewayMetrics): Promise<EmbeddedBroker> {
    let broker: EmbeddedBroker | null = null;
    const { security } = options;
    const ingest = (client: Client, packet: PublishPacket, callback: (error?: Error | null) => void) => {
      const refused = (err: Error) => {
        if (packet.qos === 0) return callback(null);
        log.warn({ clientId: client.id, topic: packet.topic, err: err.message }, 'publish refused; the client will retry');
        callback(err);
      };
      let done: Promise<void> | undefined;
      try {
        done = broker!.dispatch(client, packet);
      } catch (err) {
        return refused(err as Error);
      }
      if (done) done.then(() => callback(null), refused);
      else callback(null);
    };
    const aedes = await Aedes.createBroker({
      maxTopicLevels: options.maxTopicLevels,
      authenticate: (client, username, password, callback) => {
        security.authenticate(client, username, password).then((ok) => {
          callback(ok ? null : Object.assign(new Error('not authorized'), { returnCode: 5 }), ok);
        }, (err: Error) => callback(Object.assign(err, { returnCode: 3 }), false));
      },
      authorizeSubscribe: (client, subscription, callback) => {
        callback(null, client && security.checkSubscribe(client, subscription.topic) ? subscription : null);
      },
      authorizePublish: (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void) => {
        if (!broker || !client) return callback(null);
        if (security.checkPublish(client, packet.topic)) return callback(new Error(`not authorized to publish to ${packet.topic}`));
        const waitMs = security.publishDelayMs(client);
        if (waitMs > 0) {
          broker.waiting.delete(client); // throttled: its unread input stays unread
          setTimeout(() => ingest(client, packet, callback), waitMs);
        } else {
          broker.waiting.add(client);
          ingest(client, packet, callback);
        }
      },
    });
    aedes.on('client', () => metrics.brokerClients.inc());
    aedes.on('clientDisconnect', () => metrics.brokerClients.dec());
    aedes.on('clientError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt client error'));
    aedes.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'mqtt connection error'));

    // No packet may declare more than a maximal PUBLISH (payload limit + a 64 KiB topic + id and properties).
    const maxPacket = options.maxPayloadBytes + 128 * 1024;
    const handle = (socket: Socket) => {
      guardPacketSize(socket, maxPacket, (declared) => {
        metrics.mqttRefused.inc({ reason: 'packet_too_large' });
        log.warn({ remoteAddress: socket.remoteAddress, declared, limit: maxPacket }, 'mqtt packet over the size limit; connection closed');
      });
      aedes.handle(socket);
    };
    const plain = await listenPlain(handle, security, options.host, options.port);
    const server = plain.server;
    server.on('error', (err) => log.error({ err }, 'mqtt listener error'));
    const tls = options.tls ? await listenTls(handle, security, options.tls.host, options.tls.port, options.tls.options) : null;
    tls?.server.on('error', (err) => log.error({ err }, 'mqtt tls listener error'));
    broker = new EmbeddedBroker(log, aedes, server, options.host, plain.port, options.topicPrefix, options.maxPayloadBytes, tls?.server ?? null, tls?.port ?? null);
    log.info({ host: options.host, port: plain.port, tlsPort: tls?.port ?? null }, 'mqtt broker listening');
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

  /**
   * aedes reads a client's next chunk once every packet of the one before is done, i.e. after the commit its
   * publishes wait for, so what a client sends meanwhile would wait for the commit after. Run just before a
   * commit, this parses what those clients have sent since, and it joins that commit: a publish waits one
   * commit interval, not two. aedes counts the extra packets in the same batch. Clients are read while `hasRoom`
   * (the commit's batch is under store.maxBatchReadings); the rest wait for the next commit.
   */
  readWaiting(hasRoom: () => boolean): void {
    if (this.waiting.size === 0) return;
    const clients = [...this.waiting];
    this.waiting.clear();
    for (const [i, client] of clients.entries()) {
      if (!hasRoom()) {
        for (const unread of clients.slice(i)) this.waiting.add(unread);
        return;
      }
      const state = client as unknown as ClientReadState;
      if (state._parsingBatch <= 0 || state._paused || !state.connected || state.conn.destroyed) continue;
      try {
        const chunk = state.conn.read() as Buffer | null;
        if (chunk) state._parser.parse(chunk);
      } catch (err) {
        this.log.warn({ clientId: client.id, err: errorMessage(err) }, 'reading a waiting client failed; connection closed');
        state.conn.destroy();
      }
    }
  }

  get clientCount(): number {
    return this.aedes.connectedClients;
  }

  /** Stops accepting connections and closes every client (their unacknowledged publishes are retried elsewhere). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.tlsServer) await new Promise<void>((resolve) => this.tlsServer!.close(() => resolve()));
  }

  /** New certificates for new TLS connections (SIGHUP). */
  setTlsContext(options: TlsOptions): void {
    this.tlsServer?.setSecureContext(options);
  }

  /** With one handler (the mqtt driver) its promise as it is: no async wrapper a publish. */
  private dispatch(client: Client, packet: PublishPacket): Promise<void> | undefined {
    if (packet.topic.startsWith('$SYS/')) return undefined;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    if (this.handlers.length === 1) return this.handlers[0]!(packet.topic, payload, packet.qos, client.id);
    return this.handlers.reduce<Promise<void>>((done, handler) => done.then(() => handler(packet.topic, payload, packet.qos, client.id)), Promise.resolve());
  }
}
