import type { Driver, DriverFactory } from '../driver.js';
import { DailyBudget } from './budget.js';
import { describeUrl } from './fetch.js';
import { compileMapping } from './mapping.js';
import { Poller, type OkOutcome } from './poller.js';
import type { HttpDriverConfig } from './schema.js';
import { resolveSecret } from './secret.js';

/** Polls a JSON REST API within its daily request budget and maps fields to readings. */
export const createDriver: DriverFactory<HttpDriverConfig> = (config, context): Driver => {
  const map = compileMapping(config);
  const target = describeUrl(config.url);
  let poller: Poller | null = null;

  async function handle(ok: OkOutcome): Promise<string | null> {
    const receivedAt = Date.now();
    let body: unknown;
    try {
      body = JSON.parse(ok.body.toString('utf8'));
    } catch {
      return quarantine('decode', `response from ${target} is not JSON`, ok.body);
    }
    const mapped = map(body, receivedAt);
    if ('error' in mapped) return quarantine('mapping', mapped.error, ok.body);
    mapped.missing.forEach(() => context.countError('field_missing'));
    if (mapped.missing.length) context.log.warn({ missing: mapped.missing.slice(0, 10), count: mapped.missing.length }, 'mapped fields missing from response');
    if (mapped.readings.length === 0) return quarantine('mapping', `no mapped field found in the response (${mapped.missing.slice(0, 3).join(', ')})`, ok.body);
    context.markReading(receivedAt);
    await context.submit(mapped.readings);
    return null;
  }

  async function quarantine(kind: string, reason: string, body: Buffer): Promise<string> {
    context.countError(kind);
    context.log.warn({ reason }, 'response quarantined');
    await context.reject({ source: config.name, reason, origin: target, payload: body.subarray(0, 1024) });
    return reason;
  }

  return {
    async start() {
      const url = new URL(config.url);
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'ucid-edge-gateway', ...config.headers };
      if (config.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      if (config.apiKey) {
        const key = resolveSecret(config.apiKey.value, `drivers.${config.name}.apiKey`);
        if (config.apiKey.header) headers[config.apiKey.header] = key;
        else url.searchParams.set(config.apiKey.query!, key);
      }
      const budget = config.dailyBudget ? new DailyBudget(config.dailyBudget) : undefined;
      if (budget) context.log.info({ intervalMs: config.interval, budgetSpacingMs: budget.spacingMs }, 'daily budget: first poll after one spacing');
      poller = new Poller({
        intervalMs: config.interval,
        backoff: { initialMs: config.backoff.initial, maxMs: config.backoff.max },
        gate: budget,
        downAfterFailures: config.downAfterFailures,
        conditional: config.conditional,
        target,
        request: () => ({ url: url.href, method: config.method, headers, body: config.body, timeoutMs: config.timeout, maxBytes: config.maxBytes }),
        handle,
      }, context);
      poller.start();
    },
    async stop() {
      await poller?.stop();
      context.setHealth('stopped');
    },
  };
};
