import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters } from '../../drivers/modbus/codec.js';
import { createDriver } from '../../drivers/modbus/driver.js';
import { modbusSchema, REGISTER_WIDTH, WORD_ORDERS, type RegisterType } from '../../drivers/modbus/schema.js';
import type { Driver } from '../../drivers/driver.js';
import { createCaptureContext, type CaptureContext } from '../support/driver-context.js';
import { runs } from './runs.js';

// Issue 8 bad input: Modbus frames. The codec round-trips every type and word order; and the real driver,
// polling a Modbus TCP server of ours that answers with scripted faults (random bytes, wrong transaction id,
// wrong length, byte count or function, exceptions, silence, a closed socket, a split frame), never throws,
// never takes a wrong answer for a reading, and reads the right value again once answers are right.
const GOOD = 4242;
const WRONG = 9999;

type Answer =
  | { kind: 'ok' | 'silence' | 'close' | 'split' | 'wrongTid' | 'wrongUnit' | 'wrongFc' | 'shortCount' }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'badLength'; length: number }
  | { kind: 'exception'; code: number };

function frame(tid: number, unit: number, pdu: Buffer, length = pdu.length + 1): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt16BE(tid & 0xffff, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(length & 0xffff, 4);
  head[6] = unit;
  return Buffer.concat([head, pdu]);
}
const registers = (fc: number, value: number) => Buffer.from([fc, 2, value >> 8, value & 0xff]);

class ScriptedServer {
  readonly server = net.createServer((s) => this.serve(s));
  script: Answer[] = [];
  requests = 0;
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private serve(socket: net.Socket): void {
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 7 && buffered.length >= 6 + buffered.readUInt16BE(4)) {
        const size = 6 + buffered.readUInt16BE(4);
        const request = buffered.subarray(0, size);
        buffered = buffered.subarray(size);
        this.requests++;
        this.answer(socket, request, this.script.shift() ?? { kind: 'ok' });
      }
    });
  }

  private answer(socket: net.Socket, request: Buffer, a: Answer): void {
    const tid = request.readUInt16BE(0);
    const unit = request[6]!;
    const fcode = request[7]!;
    const ok = frame(tid, unit, registers(fcode, GOOD));
    switch (a.kind) {
      case 'ok': return void socket.write(ok);
      case 'silence': return;
      case 'close': return void socket.destroy();
      case 'split':
        socket.write(ok.subarray(0, 5));
        return void setTimeout(() => socket.writable && socket.write(ok.subarray(5)), 5);
      case 'wrongTid': return void socket.write(frame(tid + 1, unit, registers(fcode, WRONG)));
      case 'wrongUnit': return void socket.write(frame(tid, unit + 1, registers(fcode, WRONG)));
      case 'wrongFc': return void socket.write(frame(tid, unit, registers(fcode === 3 ? 4 : 3, WRONG)));
      case 'shortCount': return void socket.write(frame(tid, unit, Buffer.from([fcode, 4, WRONG >> 8, WRONG & 0xff])));
      case 'badLength': return void socket.write(frame(tid, unit, registers(fcode, WRONG), a.length));
      case 'exception': return void socket.write(frame(tid, unit, Buffer.from([fcode | 0x80, a.code])));
      case 'garbage': return void socket.write(Buffer.from(a.bytes));
    }
  }
}

const answer: fc.Arbitrary<Answer> = fc.oneof(
  fc.constantFrom<Answer>({ kind: 'ok' }, { kind: 'silence' }, { kind: 'close' }, { kind: 'split' }, { kind: 'wrongTid' }, { kind: 'wrongUnit' }, { kind: 'wrongFc' }, { kind: 'shortCount' }),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((bytes): Answer => ({ kind: 'garbage', bytes })),
  fc.integer({ min: 0, max: 0xffff }).filter((n) => n !== 5).map((length): Answer => ({ kind: 'badLength', length })),
  fc.integer({ min: 0, max: 255 }).map((code): Answer => ({ kind: 'exception', code })),
);

let server: ScriptedServer;
let driver: Driver;
let ctx: CaptureContext;

beforeAll(async () => {
  server = new ScriptedServer();
  await server.start();
  ctx = createCaptureContext();
  driver = createDriver(modbusSchema.parse({
    type: 'modbus', name: 'fuzz', connection: { transport: 'tcp', host: '127.0.0.1', port: server.port },
    timeout: '150ms', retries: 0, maxBackoff: '100ms', reconnectMax: '100ms',
    devices: [{ unitId: 1, sensorId: 'fuzz-1', interval: '20ms', registers: [{ metric: 'r0', address: 0, type: 'uint16' }] }],
  }), ctx);
  await driver.start();
  await ctx.waitForReadings(1, (r) => r.value === GOOD);
});
afterAll(async () => {
  await driver?.stop();
  await new Promise((r) => server.server.close(r));
});

describe('fuzz: Modbus frames', () => {
  it('codec: every type and word order round-trips', () => {
    const types: Array<Exclude<RegisterType, 'bool'>> = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'];
    fc.assert(fc.property(fc.constantFrom(...types), fc.constantFrom(...WORD_ORDERS), fc.integer(), fc.double({ noNaN: true }), (type, order, int, real) => {
      const span = 2 ** (REGISTER_WIDTH[type] * 16);
      let value = ((int % span) + span) % span; // an integer the type holds
      if (type.startsWith('int') && value >= span / 2) value -= span;
      if (type === 'float32') value = Math.fround(real);
      if (type === 'float64') value = real;
      const words = encodeRegisters(value, type, order);
      expect(words).toHaveLength(REGISTER_WIDTH[type]);
      for (const w of words) expect(w >= 0 && w <= 0xffff).toBe(true);
      expect(Object.is(decodeRegisters(words, type, order), value) || decodeRegisters(words, type, order) === value).toBe(true);
    }), { numRuns: runs(2_000) });
  });

  it('codec: any register words decode to a number without a throw', () => {
    fc.assert(fc.property(fc.constantFrom<Exclude<RegisterType, 'bool'>>('int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'), fc.constantFrom(...WORD_ORDERS), fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 }),
      (type, order, words) => {
        expect(typeof decodeRegisters(words.slice(0, REGISTER_WIDTH[type]), type, order)).toBe('number');
      }), { numRuns: runs(1_000) });
  });

  it('the driver against scripted bad answers: no throw, no wrong value taken, right values again after', async () => {
    await fc.assert(fc.asyncProperty(fc.array(answer, { minLength: 1, maxLength: 6 }), async (script) => {
      server.script = [...script];
      const until = server.requests + script.length;
      for (const end = Date.now() + 20_000; server.requests < until; await new Promise((r) => setTimeout(r, 10))) {
        if (Date.now() > end) throw new Error(`the driver stopped polling after ${script.map((a) => a.kind).join(',')}`);
      }
      const seen = ctx.readings.length;
      await ctx.waitForReadings(seen + 1, (r) => r.value === GOOD, 20_000).catch(() => {
        throw new Error(`no good reading after ${script.map((a) => a.kind).join(',')}`);
      });
      expect(ctx.readings.filter((r) => r.value !== GOOD).map((r) => r.value), script.map((a) => a.kind).join(',')).toEqual([]);
    }), { numRuns: runs(25) });
    expect(ctx.health.state).toBe('up');
  }, 300_000);
});
