import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { format } from 'node:util';
import {
  AttributeIds, DataChangeFilter, DataChangeNotification, DataChangeTrigger, DataType, DeadbandType, MessageSecurityMode,
  OPCUACertificateManager, OPCUAClient, resolveNodeId, SecurityPolicy, setErrorLogger, setWarningLogger, StatusChangeNotification,
  TimestampsToReturn, UserTokenType,
  type ClientMonitoredItemBase, type ClientSession, type ClientSubscription, type DataValue, type MonitoringParametersOptions,
  type NotificationMessage, type UserIdentityInfo,
} from 'node-opcua';
import type { Logger } from 'pino';
import type { Reading } from '../../gateway/reading.js';
import type { Driver, DriverFactory } from '../driver.js';
import { Backoff } from '../http/backoff.js';
import { resolveSecret } from '../http/secret.js';
import type { OpcuaConfig, OpcuaItemConfig } from './schema.js';
import { numericValue, qualityOf } from './values.js';

interface Link {
  client: OPCUAClient;
  session: ClientSession | null;
  subscription: ClientSubscription | null;
  items: { config: OpcuaItemConfig; monitored: ClientMonitoredItemBase }[];
  byHandle: Map<number, OpcuaItemConfig>;
  lastPublish: number;
  /** performance.now() when node-opcua started repairing a lost connection, null while connected. */
  lostAt: number | null;
  /** performance.now() when node-opcua had a new secure channel but not yet the session back. */
  channelBackAt: number | null;
  emptyRepublishes: number;
  engine: PublishEngine | null;
  /** NotificationMessages waiting for their commit; Publish is suspended above PENDING_HIGH. */
  pending: number;
  throttled: boolean;
  watchdog: NodeJS.Timeout | null;
  closing: Promise<void> | null;
  dead: Promise<string>;
  die(reason: string): void;
}

type PublishEngine = {
  acknowledge_notification(subscriptionId: number, sequenceNumber: number): void;
  suspend(suspended: boolean): void;
};
type Claim = (subscriptionId: number, sequenceNumber: number) => (() => void) | null;

/** Messages waiting for their commit before Publish requests stop (the server then queues, bounded by queueSize). */
const PENDING_HIGH = 20;
const PENDING_LOW = 5;

let libraryLog: Logger | null = null;

/** node-opcua prints warnings to the console; route them into the gateway's JSON log instead. */
function captureLibraryLogs(log: Logger): void {
  if (libraryLog) return;
  libraryLog = log;
  const sink = (level: 'warn' | 'error') => (_context?: unknown, ...args: unknown[]) => {
    libraryLog?.[level]({ lib: 'node-opcua' }, format(...args).replace(/\x1b\[[0-9;]*m/g, '').slice(0, 2000));
  };
  setWarningLogger(sink('warn'));
  setErrorLogger(sink('error'));
}

function publishEngine(session: ClientSession): PublishEngine | null {
  const engine = (session as unknown as { getPublishEngine?: () => PublishEngine }).getPublishEngine?.();
  return engine && typeof engine.acknowledge_notification === 'function' && typeof engine.suspend === 'function' ? engine : null;
}

/**
 * node-opcua acknowledges a NotificationMessage in the next Publish request, before the application has
 * seen it. Hold each acknowledgement until the readings are committed (DESIGN §9): the server keeps
 * unacknowledged messages for Republish after a reconnect. Messages nobody claims are released at once.
 */
export function deferAcknowledgements(engine: PublishEngine): Claim {
  const original = engine.acknowledge_notification.bind(engine);
  const held = new Map<string, () => void>();
  engine.acknowledge_notification = (subscriptionId, sequenceNumber) => {
    const key = `${subscriptionId}:${sequenceNumber}`;
    held.set(key, () => original(subscriptionId, sequenceNumber));
    queueMicrotask(() => {
      const release = held.get(key);
      held.delete(key);
      release?.();
    });
  };
  return (subscriptionId, sequenceNumber) => {
    const key = `${subscriptionId}:${sequenceNumber}`;
    const release = held.get(key) ?? null;
    held.delete(key);
    return release;
  };
}

function monitoringParameters(config: OpcuaConfig, item: OpcuaItemConfig): MonitoringParametersOptions {
  const filter = item.deadband
    ? new DataChangeFilter({
      trigger: DataChangeTrigger.StatusValue,
      deadbandType: item.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
      deadbandValue: item.deadband.value,
    })
    : null;
  return { samplingInterval: item.samplingInterval ?? config.samplingInterval, discardOldest: true, queueSize: item.queueSize, filter };
}

/** Subscribes to an OPC UA server's variables; each NotificationMessage is acknowledged after its commit. */
export const createDriver: DriverFactory<OpcuaConfig> = (config, context): Driver => {
  const { log } = context;
  const abort = new AbortController();
  let current: Link | null = null;
  let supervisor: Promise<void> | null = null;
  let queue: Promise<void> = Promise.resolve();
  const byNodeId = new Map(config.items.map((item) => [resolveNodeId(item.nodeId).toString(), item]));
  captureLibraryLogs(log);

  function itemsHealth(link: Link): void {
    const failed = link.items.filter((i) => !i.monitored.statusCode.isGood());
    if (failed.length === 0) return context.setHealth('up', `${link.items.length} items on ${config.endpoint}`);
    const list = failed.slice(0, 5).map((i) => `${i.config.nodeId} (${i.monitored.statusCode.name})`).join(', ');
    context.setHealth('degraded', `${failed.length} of ${link.items.length} items failed: ${list}`);
  }

  function toReading(link: Link, clientHandle: number, dataValue: DataValue, receivedAt: number): Reading | null {
    // a value can arrive before monitorItems() resolves; node-opcua registers the item (by handle) before it asks
    const pending = link.subscription?.monitoredItems[clientHandle]?.itemToMonitor.nodeId.toString();
    const item = link.byHandle.get(clientHandle) ?? (pending === undefined ? undefined : byNodeId.get(pending));
    if (!item) {
      context.countError('unknown_handle');
      return null;
    }
    const quality = qualityOf(dataValue.statusCode.value);
    const dataType = DataType[dataValue.value.dataType] ?? 'Null';
    const value = numericValue(dataValue.value.value, dataType);
    if (value === null) {
      if (quality === 'bad' && dataType === 'Null') {
        context.countError('bad_status');
        log.debug({ nodeId: item.nodeId, status: dataValue.statusCode.name }, 'bad status without a value');
        return null;
      }
      context.countError('value_type');
      const reason = `${item.nodeId}: a ${dataType} value is not a number`;
      context.reject({ source: config.name, reason, origin: item.nodeId, payload: String(dataValue.value.value).slice(0, 1024) })
        .catch((err: unknown) => log.error({ err, reason }, 'quarantine failed'));
      return null;
    }
    const source = dataValue.sourceTimestamp?.getTime();
    const hasTs = source !== undefined && Number.isFinite(source) && source > 0;
    return {
      sensorId: item.sensorId, metric: item.metric, value, unit: item.unit, ts: hasTs ? source : receivedAt, tsFromArrival: !hasTs,
      quality, source: config.name, receivedAt,
    };
  }

  function onNotification(link: Link, claim: Claim, message: NotificationMessage): void {
    link.lastPublish = performance.now();
    // asyncua answers Republish for a message it does not have with Good and an empty message instead of
    // BadMessageNotAvailable (Part 4 §5.13.6); node-opcua then asks for the next one, forever.
    if (link.lostAt !== null && message.sequenceNumber === 0 && !message.notificationData?.length && ++link.emptyRepublishes > 3) {
      link.die('the server answers Republish with empty messages');
      return;
    }
    const subscriptionId = link.subscription?.subscriptionId ?? 0;
    const release = claim(subscriptionId, message.sequenceNumber);
    const receivedAt = Date.now();
    const readings: Reading[] = [];
    for (const data of message.notificationData ?? []) {
      if (data instanceof DataChangeNotification) {
        for (const n of data.monitoredItems ?? []) {
          const reading = toReading(link, n.clientHandle, n.value, receivedAt);
          if (reading) readings.push(reading);
        }
      } else if (data instanceof StatusChangeNotification) {
        link.die(`subscription status ${data.status.name}`);
      }
    }
    if (readings.length === 0) {
      release?.();
      return;
    }
    context.markReading(receivedAt);
    if (++link.pending >= PENDING_HIGH && !link.throttled && link.lostAt === null) {
      link.throttled = true;
      link.engine?.suspend(true);
      log.warn({ pending: link.pending }, 'commits lag behind: Publish requests paused');
    }
    queue = queue.then(async () => {
      await context.submit(readings);
      release?.();
    }).catch((err: unknown) => {
      context.countError('submit');
      log.error({ err }, 'readings not committed; the notification stays unacknowledged');
    }).finally(() => {
      if (--link.pending > PENDING_LOW || !link.throttled) return;
      link.throttled = false;
      link.lastPublish = performance.now();
      if (link.lostAt === null) link.engine?.suspend(false);
    });
  }

  function newLink(): Link {
    let die: (reason: string) => void = () => undefined;
    const dead = new Promise<string>((resolve) => {
      die = resolve;
    });
    const securityMode = MessageSecurityMode[config.securityMode];
    const securityPolicy = SecurityPolicy[config.securityPolicy];
    const pkiDir = config.pkiDir ?? (process.env.STATE_DIRECTORY ? path.join(process.env.STATE_DIRECTORY.split(':')[0]!, 'opcua-pki') : undefined);
    const client = OPCUAClient.create({
      applicationName: config.applicationName,
      clientName: config.name,
      endpointMustExist: false,
      securityMode,
      securityPolicy,
      keepSessionAlive: true,
      requestedSessionTimeout: config.sessionTimeout,
      defaultTransactionTimeout: config.requestTimeout,
      // maxRetry > 0 keeps node-opcua's own reconnection on (`reconnectOnFailure`); the first connect gives up
      // early so the supervisor below owns that backoff (node-opcua#1357, #1429: first connects that never retry)
      connectionStrategy: { initialDelay: config.reconnect.initialDelay, maxDelay: config.reconnect.maxDelay, maxRetry: 1 },
      clientCertificateManager: pkiDir
        ? new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: config.acceptUnknownServerCertificate })
        : undefined,
    });
    return { client, session: null, subscription: null, items: [], byHandle: new Map(), lastPublish: performance.now(), lostAt: null, channelBackAt: null, emptyRepublishes: 0, engine: null, pending: 0, throttled: false, watchdog: null, closing: null, dead, die };
  }

  async function open(link: Link): Promise<void> {
    const { client } = link;
    client.on('connection_lost', () => {
      link.lostAt ??= performance.now();
      link.channelBackAt = null;
      context.countError('connection_lost');
      context.setHealth('down', `connection to ${config.endpoint} lost; reconnecting`);
    });
    client.on('after_reconnection', () => {
      link.channelBackAt = performance.now();
      link.emptyRepublishes = 0;
      context.setHealth('connecting', 'channel re-established; restoring the session');
    });
    client.on('backoff', (count: number, delay: number) => log.debug({ count, delay }, 'opcua connect backoff'));
    client.on('close', () => link.die('client closed'));
    await client.connect(config.endpoint);
    const identity: UserIdentityInfo = config.auth.type === 'username'
      ? { type: UserTokenType.UserName, userName: config.auth.username, password: resolveSecret(config.auth.password, `drivers.${config.name}.auth.password`) }
      : { type: UserTokenType.Anonymous };
    const session = await client.createSession(identity);
    link.session = session;
    link.engine = publishEngine(session);
    if (!link.engine) log.warn('node-opcua publish engine not found: notifications are acknowledged on receipt, without backpressure');
    const claim: Claim = link.engine ? deferAcknowledgements(link.engine) : () => null;
    session.on('session_closed', () => link.die('session closed'));
    session.on('session_restored', () => {
      link.lastPublish = performance.now();
      link.lostAt = null;
      link.channelBackAt = null;
      log.info({ endpoint: config.endpoint }, 'opcua session restored');
      itemsHealth(link);
    });
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: config.publishingInterval,
      requestedLifetimeCount: config.lifetimeCount,
      requestedMaxKeepAliveCount: config.maxKeepAliveCount,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 10,
    });
    link.subscription = subscription;
    subscription.on('raw_notification', (message: NotificationMessage) => onNotification(link, claim, message));
    subscription.on('terminated', () => link.die('subscription terminated'));
    subscription.on('internal_error', (err: Error) => link.die(`subscription error: ${err.message}`));

    const groups = new Map<string, OpcuaItemConfig[]>();
    for (const item of config.items) {
      const key = JSON.stringify(monitoringParameters(config, item));
      groups.set(key, [...(groups.get(key) ?? []), item]);
    }
    for (const items of groups.values()) {
      const group = await subscription.monitorItems(
        items.map((item) => ({ nodeId: item.nodeId, attributeId: AttributeIds.Value })),
        monitoringParameters(config, items[0]!),
        TimestampsToReturn.Both,
      );
      group.monitoredItems.forEach((monitored, i) => {
        link.items.push({ config: items[i]!, monitored });
        link.byHandle.set(monitored.monitoringParameters.clientHandle, items[i]!);
      });
    }
    for (const failed of link.items.filter((i) => !i.monitored.statusCode.isGood())) {
      context.countError('item');
      log.warn({ nodeId: failed.config.nodeId, status: failed.monitored.statusCode.name }, 'monitored item not created');
    }
    itemsHealth(link);

    // Two ways to give up on node-opcua's own repair and rebuild everything: a connection it has been repairing
    // for longer than reconnect.rebuildAfter, or a connected subscription that stops answering Publish
    // (keep-alives included; OPC UA Part 4 §5.13.1), since node-opcua swallows errors when it recreates one.
    const keepAliveMs = subscription.publishingInterval * subscription.maxKeepAliveCount;
    const staleAfter = Math.max(3 * keepAliveMs, 10_000);
    link.lastPublish = performance.now();
    link.watchdog = setInterval(() => {
      const now = performance.now();
      if (link.channelBackAt !== null && now - link.channelBackAt > 2 * config.requestTimeout) {
        link.die(`channel re-established but the session not restored in ${Math.round((2 * config.requestTimeout) / 1000)} s`);
      } else if (link.lostAt !== null) {
        if (now - link.lostAt > config.reconnect.rebuildAfter) link.die(`connection not repaired in ${Math.round(config.reconnect.rebuildAfter / 1000)} s`);
      } else if (!link.throttled && now - link.lastPublish > staleAfter) {
        link.die(`no Publish response for ${Math.round(staleAfter / 1000)} s`);
      }
    }, Math.min(1_000, staleAfter / 4));
  }

  function close(link: Link): Promise<void> {
    link.closing ??= (async () => {
      if (link.watchdog) clearInterval(link.watchdog);
      link.client.removeAllListeners();
      link.session?.removeAllListeners();
      link.subscription?.removeAllListeners();
      await Promise.race([link.client.disconnect().catch(() => undefined), sleep(5_000)]);
    })();
    return link.closing;
  }

  async function supervise(): Promise<void> {
    const backoff = new Backoff(config.reconnect.initialDelay, config.reconnect.maxDelay);
    while (!abort.signal.aborted) {
      const link = newLink();
      current = link;
      context.setHealth('connecting', `connecting to ${config.endpoint}`);
      let reason: string;
      try {
        await open(link);
        backoff.reset();
        reason = await Promise.race([link.dead, new Promise<string>((resolve) => abort.signal.addEventListener('abort', () => resolve('stopped')))]);
      } catch (err) {
        reason = (err as Error).message.split('\n')[0]!;
      }
      await close(link);
      current = null;
      if (abort.signal.aborted) return;
      context.countError('rebuild');
      const delay = backoff.next();
      context.setHealth('down', reason);
      log.warn({ endpoint: config.endpoint, reason, retryInMs: delay }, 'opcua connection rebuilt from scratch');
      await sleep(delay, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  return {
    async start() {
      supervisor = supervise();
    },
    async stop() {
      abort.abort();
      const link = current;
      link?.die('stopped');
      // disconnecting also ends a connect() still in progress
      await Promise.all([supervisor, link ? close(link) : null]);
      await queue;
      context.setHealth('stopped');
    },
  };
};
