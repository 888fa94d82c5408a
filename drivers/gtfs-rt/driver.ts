import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import type { Driver, DriverContext, DriverFactory, DriverState } from '../driver.js';
import { describeUrl } from '../http/fetch.js';
import { Poller, type OkOutcome } from '../http/poller.js';
import { resolveSecret } from '../http/secret.js';
import { FeedInterpreter } from './interpret.js';
import type { GtfsRtConfig } from './schema.js';

const { FeedMessage } = GtfsRealtimeBindings.transit_realtime;

/** One state for the instance from its feeds' states: up only when every feed is. */
function combine(states: DriverState[]): DriverState {
  if (states.every((s) => s === 'up')) return 'up';
  if (states.every((s) => s === 'down')) return 'down';
  return states.some((s) => s === 'down' || s === 'degraded') ? 'degraded' : 'connecting';
}

/** Polls GTFS-Realtime feeds (protobuf over HTTP) and turns them into stop delays and vehicle counts per cell. */
export const createDriver: DriverFactory<GtfsRtConfig> = (config, context): Driver => {
  const pollers: Poller[] = [];
  const states: DriverState[] = config.feeds.map(() => 'connecting');
  const details: (string | undefined)[] = config.feeds.map(() => undefined);

  function feedContext(index: number): DriverContext {
    return {
      log: context.log.child({ feed: describeUrl(config.feeds[index]!) }),
      embeddedBroker: context.embeddedBroker,
      submit: (readings, options) => context.submit(readings, options),
      reject: (input) => context.reject(input),
      countError: (kind) => context.countError(kind),
      markReading: (at) => context.markReading(at),
      setHealth(state, detail) {
        states[index] = state;
        details[index] = detail;
        const notes = details.map((d, i) => (d && states[i] !== 'up' ? `feed ${i + 1}: ${d}` : null)).filter(Boolean);
        context.setHealth(combine(states), notes.join('; ') || undefined);
      },
    };
  }

  function handler(index: number, feedContext: DriverContext) {
    const interpreter = new FeedInterpreter(config);
    const target = describeUrl(config.feeds[index]!);
    return async (ok: OkOutcome): Promise<string | null> => {
      const receivedAt = Date.now();
      let feed: GtfsRealtimeBindings.transit_realtime.FeedMessage;
      try {
        feed = FeedMessage.decode(ok.body);
      } catch (err) {
        const reason = `not a GTFS-Realtime FeedMessage: ${(err as Error).message}`;
        feedContext.countError('decode');
        feedContext.log.warn({ reason, bytes: ok.body.length }, 'feed quarantined');
        await feedContext.reject({ source: config.name, reason, origin: target, payload: ok.body.subarray(0, 1024) });
        return reason;
      }
      const result = interpreter.interpret(feed, receivedAt);
      if (result.unchanged) return null;
      if (Object.keys(result.skipped).length) feedContext.log.debug({ skipped: result.skipped }, 'feed entities without a reading');
      if (result.readings.length) {
        feedContext.markReading(receivedAt);
        await feedContext.submit(result.readings);
      }
      result.commit();
      return null;
    };
  }

  return {
    async start() {
      const headers: Record<string, string> = { accept: 'application/x-protobuf, application/octet-stream', 'user-agent': 'ucid-edge-gateway' };
      let key: string | null = null;
      if (config.apiKey) {
        key = resolveSecret(config.apiKey.value, `drivers.${config.name}.apiKey`);
        if (config.apiKey.header) headers[config.apiKey.header] = key;
      }
      context.setHealth('connecting');
      config.feeds.forEach((feedUrl, index) => {
        const url = new URL(feedUrl);
        if (key !== null && config.apiKey?.query) url.searchParams.set(config.apiKey.query, key);
        const ctx = feedContext(index);
        const poller = new Poller({
          intervalMs: config.interval,
          backoff: { initialMs: config.backoff.initial, maxMs: config.backoff.max },
          downAfterFailures: config.downAfterFailures,
          conditional: true,
          target: describeUrl(feedUrl),
          request: () => ({ url: url.href, method: 'GET', headers, timeoutMs: config.timeout, maxBytes: config.maxBytes }),
          handle: handler(index, ctx),
        }, ctx);
        pollers.push(poller);
        poller.start();
      });
    },
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      context.setHealth('stopped');
    },
  };
};
