import type { Reading } from '../../gateway/reading.js';
import type { RejectedInput } from '../driver.js';
import type { ModbusBus, ReadResult } from './bus.js';
import { decodeRegisters } from './codec.js';
import { classify, ModbusRequestError, RETRYABLE_EXCEPTIONS } from './errors.js';
import { describeBlock, planReads, splitBlock, type ReadBlock } from './plan.js';
import { REGISTER_WIDTH, type ModbusDeviceConfig } from './schema.js';

export interface PollSettings {
  source: string;
  timeoutMs: number;
  retries: number;
  maxBackoffMs: number;
}

export interface ErrorSink {
  /** One failed request: counted by kind for the driver and by (device, register, kind) for the detail. */
  count(where: string, kind: string): void;
  reject(input: RejectedInput): Promise<void>;
}

export interface PollResult {
  readings: Reading[];
  /** The unit answered at least one request (with data or an exception). */
  answered: boolean;
  /** Some value could not be read. */
  incomplete: boolean;
  /** The bus was down: says nothing about the unit. */
  busDown: boolean;
}

/** Polls one unit id: its coalesced reads in order, retries while it answers, one probe and back-off once it does not. */
export class DevicePoller {
  private blocks: ReadBlock[];
  failures = 0;
  polls = 0;

  constructor(readonly device: ModbusDeviceConfig, private readonly bus: ModbusBus, private readonly settings: PollSettings, private readonly errors: ErrorSink) {
    this.blocks = planReads(device.registers, device.maxGap);
  }

  get down(): boolean {
    return this.failures > 0;
  }

  get requestCount(): number {
    return this.blocks.length;
  }

  /** Time until the next poll: the interval, doubled per failed poll up to maxBackoff. */
  nextDelay(): number {
    if (this.failures === 0) return this.device.interval;
    return Math.max(this.device.interval, Math.min(this.settings.maxBackoffMs, this.device.interval * 2 ** this.failures));
  }

  async poll(ts: number): Promise<PollResult> {
    this.polls++;
    const result: PollResult = { readings: [], answered: false, incomplete: false, busDown: false };
    const pending = [...this.blocks];
    while (pending.length) {
      const block = pending.shift()!;
      const outcome = await this.readBlock(block);
      if (outcome instanceof ModbusRequestError) {
        result.incomplete = true;
        if (outcome.kind === 'disconnected') {
          result.busDown = true;
          break;
        }
        if (outcome.kind !== 'exception') break;
        result.answered = true;
        if (block.values.length > 1 && outcome.exceptionCode === 2) {
          // Illegal data address on a coalesced read: read its values one by one from now on.
          const parts = splitBlock(block);
          this.blocks.splice(this.blocks.indexOf(block), 1, ...parts);
          pending.unshift(...parts);
        }
        continue;
      }
      result.answered = true;
      result.readings.push(...await this.decode(block, outcome, ts));
    }
    if (result.answered) this.failures = 0;
    else if (!result.busDown) this.failures++;
    return result;
  }

  private async readBlock(block: ReadBlock): Promise<ReadResult | ModbusRequestError> {
    const attempts = this.down ? 1 : this.settings.retries + 1;
    const where = describeBlock(this.device.unitId, block);
    let last: ModbusRequestError | null = null;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        return await this.bus.read(this.device.unitId, block.function, block.start, block.count, this.settings.timeoutMs);
      } catch (err) {
        last = classify(err);
        if (last.kind === 'disconnected') return last;
        this.errors.count(where, last.kind === 'exception' ? `exception ${last.exceptionCode}` : last.kind);
        if (last.kind === 'exception' && !RETRYABLE_EXCEPTIONS.has(last.exceptionCode ?? 0)) return last;
      }
    }
    return last!;
  }

  private async decode(block: ReadBlock, data: ReadResult, ts: number): Promise<Reading[]> {
    const readings: Reading[] = [];
    const receivedAt = Date.now();
    for (const { register, offset } of block.values) {
      const raw = register.type === 'bool'
        ? (data[offset] ? 1 : 0)
        : decodeRegisters((data as number[]).slice(offset, offset + REGISTER_WIDTH[register.type]), register.type, register.wordOrder);
      const value = raw * register.scale + register.offset;
      const sensorId = register.sensorId ?? this.device.sensorId;
      if (!Number.isFinite(value)) {
        const where = describeBlock(this.device.unitId, { function: register.function, start: register.address, count: 1 });
        this.errors.count(where, 'value');
        await this.errors.reject({
          source: this.settings.source,
          reason: `${register.type} ${register.wordOrder} decodes to ${value}`,
          origin: `${where} (${sensorId}/${register.metric})`,
          payload: JSON.stringify(data.slice(offset, offset + REGISTER_WIDTH[register.type])),
        });
        continue;
      }
      readings.push({ sensorId, metric: register.metric, value, unit: register.unit, ts, tsFromArrival: true, quality: 'good', source: this.settings.source, receivedAt });
    }
    return readings;
  }
}
