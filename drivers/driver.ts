import type { Logger } from 'pino';
import type { Reading } from '../gateway/reading.js';

export type DriverState = 'connecting' | 'up' | 'degraded' | 'down' | 'stopped';

export interface DriverHealth {
  name: string;
  type: string;
  state: DriverState;
  lastReadingAt: number | null;
  /** Error counters by kind, e.g. `{ timeout: 3, crc: 1 }`. */
  errors: Record<string, number>;
  detail?: string;
}

/** A reading a driver could not turn into a Reading: kept in the quarantine table. */
export interface RejectedInput {
  source: string;
  reason: string;
  /** Where it came from, e.g. an MQTT topic or a Modbus register. */
  origin: string;
  payload: Uint8Array | string;
}

export interface SubmitOptions {
  /** QoS 0 style input that may be shed under overload instead of waiting. */
  sheddable?: boolean;
}

/** What the gateway hands a driver. `submit` resolves only once the readings are committed (DESIGN §9). */
export interface DriverContext {
  readonly log: Logger;
  submit(readings: Reading[], options?: SubmitOptions): Promise<void>;
  reject(input: RejectedInput): Promise<void>;
  /** The embedded broker, when one runs: drivers that ingest MQTT attach here. */
  readonly embeddedBroker: EmbeddedBrokerPort | null;
  setHealth(state: DriverState, detail?: string): void;
  countError(kind: string): void;
  markReading(atMs: number): void;
}

/** Lets an ingest driver see every publish before its PUBACK (aedes `authorizePublish`). */
export interface EmbeddedBrokerPort {
  readonly port: number;
  readonly host: string;
  /** Where sensors publish: `{sensorTopicPrefix}/{metric}/{sensorId}`. */
  readonly sensorTopicPrefix: string;
  readonly maxPayloadBytes: number;
  /** The handler's promise (none: nothing to wait for) settles when the publish may be acknowledged. */
  onPublish(handler: (topic: string, payload: Buffer, qos: 0 | 1 | 2, clientId: string) => Promise<void> | undefined): void;
}

export interface Driver {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One per protocol folder: its config schema lives in `schema.ts`, its code is loaded only when used. */
export type DriverFactory<C> = (config: C, context: DriverContext) => Driver;
