import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { GatewayBus } from '../bus.js';
import type { AlertStore } from '../store/alert-store.js';
import type { WebhookConfig } from './schema.js';

const POLL_INTERVAL_MS = 1_000;
const BATCH_DELIVERIES = 50;
const RETRY_BACKOFF_MS = { initial: 1_000, max: 3_600_000 };
const GAVE_UP_AT = Number.MAX_SAFE_INTEGER;

/** `X-UCID-Signature: sha256=<hex HMAC of "<timestamp>.<body>">`, with the timestamp in `X-UCID-Timestamp`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Alert webhooks from their own outbox table: queued in the alert's transaction, POSTed after commit,
 * retried with exponential backoff and jitter across restarts until `maxAttempts`.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly hooks: Map<string, WebhookConfig>;

  constructor(private readonly store: AlertStore, hooks: readonly WebhookConfig[], private readonly log: Logger) {
    this.hooks = new Map(hooks.map((h) => [h.url, h]));
  }

  start(bus: GatewayBus): void {
    if (this.hooks.size === 0) return;
    bus.on('alerts', () => void this.deliverDue());
    this.timer = setInterval(() => void this.deliverDue(), POLL_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async deliverDue(nowMs = Date.now()): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const delivery of this.store.dueDeliveries(nowMs, BATCH_DELIVERIES)) {
        const hook = this.hooks.get(delivery.url);
        if (!hook) {
          this.store.markFailed(delivery.id, GAVE_UP_AT, 'webhook no longer configured');
          continue;
        }
        const error = await this.post(hook, delivery.eventId, delivery.body);
        if (error === null) {
          this.store.markDelivered(delivery.id, Date.now());
          continue;
        }
        const attempts = delivery.attempts + 1;
        const backoff = Math.min(RETRY_BACKOFF_MS.max, RETRY_BACKOFF_MS.initial * 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
        const retryAt = attempts >= hook.maxAttempts ? GAVE_UP_AT : Date.now() + backoff;
        this.log.warn({ url: hook.url, eventId: delivery.eventId, attempts, error, gaveUp: retryAt === GAVE_UP_AT }, 'webhook delivery failed');
        this.store.markFailed(delivery.id, retryAt, error);
      }
    } catch (err) {
      this.log.error({ err }, 'webhook dispatch failed');
    } finally {
      this.running = false;
    }
  }

  private async post(hook: WebhookConfig, eventId: string, body: string): Promise<string | null> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        body,
        signal: AbortSignal.timeout(hook.timeout),
        headers: {
          'content-type': 'application/json', 'x-ucid-event-id': eventId, 'x-ucid-timestamp': timestamp,
          'x-ucid-signature': signWebhook(hook.secret, timestamp, body),
        },
      });
      await response.arrayBuffer();
      return response.ok ? null : `HTTP ${response.status}`;
    } catch (err) {
      return (err as Error).message;
    }
  }
}
