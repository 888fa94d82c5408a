import { setTimeout as sleep } from 'node:timers/promises';
import type { DriverContext } from '../driver.js';
import { Backoff } from './backoff.js';
import type { RequestGate } from './budget.js';
import { ConditionalRequest, httpRequest, type HttpOutcome, type HttpRequest } from './fetch.js';

export type OkOutcome = Extract<HttpOutcome, { kind: 'ok' }>;

export interface PollerOptions {
  /** Minimum spacing between request starts, retries included (a feed's rate limit). */
  intervalMs: number;
  backoff: { initialMs: number; maxMs: number };
  /** Moves a planned start to an allowed time (the daily budget's slots). */
  gate?: RequestGate;
  /** Consecutive failures after which health is `down` rather than `degraded`. */
  downAfterFailures: number;
  conditional: boolean;
  /** What the logs call the target: never the URL with a key in it. */
  target: string;
  /** The request, secrets included; built per poll. */
  request(): Omit<HttpRequest, 'signal'>;
  /** Turns a 200 into readings; resolves once they are committed. Returns a reason when the body was unusable. */
  handle(outcome: OkOutcome): Promise<string | null>;
}

/** The poll loop shared by the REST and GTFS-RT drivers: pacing, conditional requests, backoff, health. */
export class Poller {
  private readonly abort = new AbortController();
  private readonly conditional = new ConditionalRequest();
  private readonly backoff: Backoff;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: PollerOptions, private readonly context: DriverContext) {
    this.backoff = new Backoff(options.backoff.initialMs, options.backoff.maxMs);
  }

  start(): void {
    this.context.setHealth('connecting', `polling ${this.options.target}`);
    this.loop = this.run().catch((err: unknown) => {
      this.context.log.error({ err }, 'poll loop ended unexpectedly');
      this.context.setHealth('down', 'poll loop ended');
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private align(plannedMs: number): number {
    return this.options.gate ? this.options.gate.nextStart(plannedMs, Date.now()) : plannedMs;
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    let due = this.align(Date.now());
    while (!signal.aborted) {
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      const started = Date.now();
      if (this.options.gate && !this.options.gate.claim()) {
        due = this.align(started);
        continue;
      }
      const request = this.options.request();
      if (this.options.conditional) request.headers = { ...request.headers, ...this.conditional.headers() };
      const outcome = await httpRequest({ ...request, signal });
      if (signal.aborted) return;
      const retryInMs = await this.settle(outcome);
      const next = retryInMs === null ? started + this.options.intervalMs : Math.max(started + this.options.intervalMs, Date.now() + retryInMs);
      due = this.align(next);
    }
  }

  /** Health and counters for one outcome; returns the retry delay after a failure, null after a success. */
  private async settle(outcome: HttpOutcome): Promise<number | null> {
    const { context, options } = this;
    switch (outcome.kind) {
      case 'ok': {
        let problem: string | null;
        try {
          problem = await options.handle(outcome);
        } catch (err) {
          // not committed: keep the old validators so that the next poll fetches the body again
          return this.failed('submit', `readings not committed: ${(err as Error).message}`, null);
        }
        if (options.conditional) this.conditional.update(outcome.etag, outcome.lastModified);
        this.backoff.reset();
        context.setHealth(problem ? 'degraded' : 'up', problem ?? undefined);
        return null;
      }
      case 'not-modified':
        this.backoff.reset();
        context.setHealth('up', 'not modified since the last poll');
        return null;
      case 'rate-limited':
        return this.failed('rate_limited', `HTTP 429 from ${options.target}`, outcome.retryAfterMs);
      case 'server-error':
        return this.failed('http_5xx', `HTTP ${outcome.status} from ${options.target}`, outcome.retryAfterMs);
      case 'client-error':
        return this.failed(`http_${Math.floor(outcome.status / 100)}xx`, `HTTP ${outcome.status} from ${options.target}`, null);
      case 'too-large':
        return this.failed('too_large', `response from ${options.target} is over ${outcome.limit} bytes`, null);
      case 'network':
        return this.failed('network', `${options.target}: ${outcome.message}`, null);
    }
  }

  private failed(kind: string, detail: string, retryAfterMs: number | null): number {
    const delay = this.backoff.next();
    const retryInMs = retryAfterMs ?? delay;
    this.context.countError(kind);
    const down = this.backoff.consecutiveFailures >= this.options.downAfterFailures;
    this.context.setHealth(down ? 'down' : 'degraded', detail);
    this.context.log.warn({ kind, detail, retryInMs, failures: this.backoff.consecutiveFailures }, 'poll failed');
    return retryInMs;
  }
}
