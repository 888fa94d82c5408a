import { pino } from 'pino';
import type { DriverContext, DriverHealth, DriverState, EmbeddedBrokerPort, RejectedInput } from '../../drivers/driver.js';
import type { Reading } from '../../gateway/reading.js';

/** A DriverContext that records what a driver hands the gateway, for driver tests against real peers. */
export interface CaptureContext extends DriverContext {
  readings: Reading[];
  rejected: RejectedInput[];
  states: DriverState[];
  health: Pick<DriverHealth, 'state' | 'errors' | 'lastReadingAt' | 'detail'>;
  /** Resolves once `count` readings matching `filter` have arrived. */
  waitForReadings(count: number, filter?: (r: Reading) => boolean, timeoutMs?: number): Promise<Reading[]>;
  waitForState(state: DriverState, timeoutMs?: number): Promise<void>;
}

export function createCaptureContext(embeddedBroker: EmbeddedBrokerPort | null = null): CaptureContext {
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  const until = (done: () => boolean, timeoutMs: number, what: string) => new Promise<void>((resolve, reject) => {
    if (done()) return resolve();
    const check = () => {
      if (!done()) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    waiters.add(check);
  });
  const ctx: CaptureContext = {
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    embeddedBroker,
    readings: [],
    rejected: [],
    states: [],
    health: { state: 'connecting', errors: {}, lastReadingAt: null },
    async submit(readings) {
      ctx.readings.push(...readings);
      notify();
    },
    async reject(input) {
      ctx.rejected.push(input);
      notify();
    },
    setHealth(state, detail) {
      ctx.health.state = state;
      ctx.health.detail = detail;
      ctx.states.push(state);
      notify();
    },
    countError(kind) {
      ctx.health.errors[kind] = (ctx.health.errors[kind] ?? 0) + 1;
      notify();
    },
    markReading(atMs) {
      ctx.health.lastReadingAt = atMs;
    },
    async waitForReadings(count, filter = () => true, timeoutMs = 15_000) {
      await until(() => ctx.readings.filter(filter).length >= count, timeoutMs, `${count} readings`);
      return ctx.readings.filter(filter);
    },
    waitForState(state, timeoutMs = 15_000) {
      return until(() => ctx.health.state === state, timeoutMs, `state ${state}`);
    },
  };
  return ctx;
}
