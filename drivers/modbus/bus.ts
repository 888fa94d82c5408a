import { setTimeout as sleep } from 'node:timers/promises';
import { classify, ModbusRequestError } from './errors.js';
import type { ModbusFunction } from './schema.js';

/** The part of modbus-serial's ModbusRTU the bus uses (the library itself is loaded by driver.ts). */
export interface ModbusClient {
  setID(id: number): void;
  setTimeout(ms: number): void;
  readCoils(address: number, length: number): Promise<{ data: boolean[] }>;
  readDiscreteInputs(address: number, length: number): Promise<{ data: boolean[] }>;
  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, length: number): Promise<{ data: number[] }>;
  on(event: 'close', listener: () => unknown): unknown;
  on(event: 'error', listener: (error: unknown) => unknown): unknown;
  readonly isOpen: boolean;
  close(callback: (err?: unknown) => void): void;
  destroy(callback: () => void): void;
}

export interface BusOptions {
  /** A fresh client for every connection: one that failed is never reused. */
  create(): ModbusClient;
  connect(client: ModbusClient): Promise<void>;
  /** TCP: a timed-out transaction's id comes round again after 256 requests, so the socket is renewed. */
  renewAfterTimeout: boolean;
  /** `close` releases a serial port (and its lock) before it is reopened; `destroy` drops a socket at once. */
  release: 'close' | 'destroy';
  connectTimeoutMs: number;
  /** Silence kept before each request (RTU t3.5). */
  frameGapMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  onUp(): void;
  /** The connection failed to open (`connect`) or was lost (`disconnect`). */
  onDown(kind: 'connect' | 'disconnect', detail: string): void;
}

export type ReadResult = number[] | boolean[];

/**
 * One Modbus line: a FIFO of requests with exactly one in flight (modbus-serial's RTU port keeps a single
 * transaction slot), each bounded by a timeout, over a client that is recreated after it fails.
 */
export class ModbusBus {
  private client: ModbusClient | null = null;
  private closing: Promise<void> = Promise.resolve();
  private tail: Promise<unknown> = Promise.resolve();
  private failures = 0;
  private retryAt = 0;
  private lastError = '';
  private stopped = false;
  private onLost: ((err: ModbusRequestError) => void) | null = null;
  private lastDoneAt = 0;

  constructor(private readonly options: BusOptions) {}

  read(unitId: number, fn: ModbusFunction, start: number, count: number, timeoutMs: number): Promise<ReadResult> {
    const run = () => this.execute(unitId, fn, start, count, timeoutMs);
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.tail;
    await this.drop();
  }

  private async execute(unitId: number, fn: ModbusFunction, start: number, count: number, timeoutMs: number): Promise<ReadResult> {
    const client = await this.ensureClient();
    const gap = this.lastDoneAt + this.options.frameGapMs - performance.now();
    if (gap > 0) await sleep(gap);
    client.setID(unitId);
    client.setTimeout(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    try {
      const request = fn === 'coil' ? client.readCoils(start, count)
        : fn === 'discrete' ? client.readDiscreteInputs(start, count)
        : fn === 'holding' ? client.readHoldingRegisters(start, count)
        : client.readInputRegisters(start, count);
      // The library's own timer normally fires first; this one also covers a write that never completes.
      const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ModbusRequestError('timeout', 'Timed out (guard)')), timeoutMs + 250);
        this.onLost = reject;
      });
      const { data } = await Promise.race([request, guard]);
      // A TCP answer has no CRC: one whose byte count disagrees with the request is a bad frame, not values.
      const bits = fn === 'coil' || fn === 'discrete';
      if (bits ? data.length < count : data.length !== count) {
        throw new ModbusRequestError('frame', `answer holds ${data.length} ${bits ? 'bits' : 'registers'}, ${count} were asked for`);
      }
      return bits ? (data as boolean[]).slice(0, count) : data;
    } catch (err) {
      const error = classify(err);
      // modbus-serial's TCP port emits no 'close' after a socket error (its close handler checks a flag the
      // error handler has cleared): a request then only times out, on a client that is no longer open.
      if (!client.isOpen && error.kind !== 'exception') {
        await this.drop('connection lost');
        throw new ModbusRequestError('disconnected', `connection lost (${error.message})`);
      }
      if (error.kind === 'disconnected' || error.kind === 'io') await this.drop(error.message);
      else if (error.kind === 'timeout' && this.options.renewAfterTimeout) await this.drop();
      throw error;
    } finally {
      clearTimeout(timer);
      this.onLost = null;
      this.lastDoneAt = performance.now();
    }
  }

  private async ensureClient(): Promise<ModbusClient> {
    if (this.client?.isOpen) return this.client;
    if (this.client) await this.drop('port closed');
    if (this.stopped) throw new ModbusRequestError('disconnected', 'driver stopping');
    await this.closing;
    if (Date.now() < this.retryAt) throw new ModbusRequestError('disconnected', `not connected: ${this.lastError}`);
    let timer: NodeJS.Timeout | undefined;
    const client = this.options.create();
    // modbus-serial re-emits port errors on the client; an EventEmitter 'error' without a listener throws.
    client.on('error', () => undefined);
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`connect timed out after ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
      });
      await Promise.race([this.options.connect(client), timeout]);
      if (this.stopped) throw new ModbusRequestError('disconnected', 'driver stopping');
      this.attach(client);
      this.failures = 0;
      this.options.onUp();
      return client;
    } catch (err) {
      this.closing = this.discard(client);
      if (this.stopped) throw new ModbusRequestError('disconnected', 'driver stopping');
      this.failures++;
      this.lastError = classify(err).message;
      this.retryAt = Date.now() + Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** (this.failures - 1));
      this.options.onDown('connect', `connect failed: ${this.lastError}`);
      throw new ModbusRequestError('disconnected', `connect failed: ${this.lastError}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private attach(client: ModbusClient): void {
    this.client = client;
    const lost = (why: string) => {
      if (this.client !== client) return;
      this.onLost?.(new ModbusRequestError('disconnected', why));
      void this.drop(why);
    };
    client.on('close', () => lost('connection closed'));
    client.on('error', (err) => lost(classify(err).message || 'port error'));
  }

  /** Forgets the client; the next request opens a new one. Without `why` it is a planned renewal, not a fault. */
  private drop(why?: string): Promise<void> {
    const client = this.client;
    if (!client) return this.closing;
    this.client = null;
    if (why) {
      this.lastError = why;
      this.options.onDown('disconnect', why);
    }
    this.closing = this.discard(client);
    return this.closing;
  }

  private discard(client: ModbusClient): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = setTimeout(resolve, 1_000);
      const finish = () => {
        clearTimeout(done);
        resolve();
      };
      try {
        if (client.isOpen && this.options.release === 'close') client.close(finish);
        else client.destroy(finish);
      } catch {
        finish();
      }
    });
  }
}
