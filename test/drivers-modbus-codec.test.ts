import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters } from '../drivers/modbus/codec.js';
import { classify } from '../drivers/modbus/errors.js';
import { planReads, splitBlock } from '../drivers/modbus/plan.js';
import { modbusSchema } from '../drivers/modbus/schema.js';
import { driverConfigSchema } from '../drivers/registry.js';

const tcp = { transport: 'tcp', host: '127.0.0.1' };
const parse = (devices: unknown[], extra: Record<string, unknown> = {}) => modbusSchema.parse({ type: 'modbus', connection: tcp, devices, ...extra });
const registers = (list: Record<string, unknown>[]) => parse([{ unitId: 1, sensorId: 's1', registers: list }]).devices[0]!.registers;

describe('modbus codec', () => {
  it('decodes 0x12345678 in the four word orders', () => {
    expect(decodeRegisters([0x1234, 0x5678], 'uint32', 'ABCD')).toBe(0x12345678);
    expect(decodeRegisters([0x5678, 0x1234], 'uint32', 'CDAB')).toBe(0x12345678);
    expect(decodeRegisters([0x3412, 0x7856], 'uint32', 'BADC')).toBe(0x12345678);
    expect(decodeRegisters([0x7856, 0x3412], 'uint32', 'DCBA')).toBe(0x12345678);
  });

  it('decodes IEEE 754 floats and signed values', () => {
    expect(decodeRegisters([0x3fc0, 0x0000], 'float32', 'ABCD')).toBe(1.5);
    expect(decodeRegisters([0x0000, 0x3fc0], 'float32', 'CDAB')).toBe(1.5);
    expect(decodeRegisters([0x3ff8, 0, 0, 0], 'float64', 'ABCD')).toBe(1.5);
    expect(decodeRegisters([0, 0, 0, 0x3ff8], 'float64', 'CDAB')).toBe(1.5);
    expect(decodeRegisters([0xf83f, 0, 0, 0], 'float64', 'BADC')).toBe(1.5);
    expect(decodeRegisters([0, 0, 0, 0xf83f], 'float64', 'DCBA')).toBe(1.5);
    expect(decodeRegisters([0xffff], 'int16', 'ABCD')).toBe(-1);
    expect(decodeRegisters([0xffff], 'uint16', 'ABCD')).toBe(65535);
    expect(decodeRegisters([0xffff, 0xfffe], 'int32', 'ABCD')).toBe(-2);
  });

  it('round-trips every type and order', () => {
    const samples = { int16: -300, uint16: 65000, int32: -2_000_000_000, uint32: 4_000_000_000, float32: Math.fround(0.1), float64: Math.PI } as const;
    for (const [type, value] of Object.entries(samples) as [keyof typeof samples, number][]) {
      for (const order of ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const) {
        expect(decodeRegisters(encodeRegisters(value, type, order), type, order)).toBe(value);
      }
    }
  });
});

describe('modbus read planning', () => {
  it('coalesces contiguous values of one function and keeps functions apart', () => {
    const plan = planReads(registers([
      { metric: 'a', address: 0, type: 'float32' },
      { metric: 'b', address: 2 },
      { metric: 'c', address: 3, type: 'float64' },
      { metric: 'd', address: 10 },
      { metric: 'e', function: 'input', address: 3 },
      { metric: 'f', function: 'coil', address: 0 },
      { metric: 'g', function: 'coil', address: 1 },
    ]));
    expect(plan.map((b) => [b.function, b.start, b.count, b.values.length])).toEqual([
      ['holding', 0, 7, 3], ['holding', 10, 1, 1], ['input', 3, 1, 1], ['coil', 0, 2, 2],
    ]);
  });

  it('reads across gaps up to maxGap', () => {
    const list = registers([{ metric: 'a', address: 0 }, { metric: 'b', address: 5 }]);
    expect(planReads(list, 3)).toHaveLength(2);
    expect(planReads(list, 4).map((b) => b.count)).toEqual([6]);
  });

  it('splits at 125 registers and 2000 coils (MODBUS Application Protocol §6.1, §6.3)', () => {
    const regs = registers(Array.from({ length: 130 }, (_, i) => ({ metric: `r${i}`, address: i })));
    expect(planReads(regs).map((b) => b.count)).toEqual([125, 5]);
    const floats = registers(Array.from({ length: 63 }, (_, i) => ({ metric: `f${i}`, address: 2 * i, type: 'float32' })));
    expect(planReads(floats).map((b) => b.count)).toEqual([124, 2]);
    const coils = registers(Array.from({ length: 2001 }, (_, i) => ({ metric: `c${i}`, function: 'coil', address: i })));
    expect(planReads(coils).map((b) => b.count)).toEqual([2000, 1]);
  });

  it('splits a block into one read per value', () => {
    const [block] = planReads(registers([{ metric: 'a', address: 7 }, { metric: 'b', address: 8, type: 'int32' }]));
    expect(splitBlock(block!).map((b) => [b.start, b.count])).toEqual([[7, 1], [8, 2]]);
  });
});

describe('modbus config', () => {
  it('fills defaults and parses durations', () => {
    const config = parse([{ unitId: 3, sensorId: 'meter-3', registers: [{ metric: 'energy', address: 0, type: 'uint32', wordOrder: 'CDAB' }, { metric: 'alarm', function: 'coil', address: 0 }] }], { timeout: '250ms' });
    expect(config).toMatchObject({ name: 'modbus', timeout: 250, retries: 1, connection: { port: 502 } });
    expect(config.devices[0]!.interval).toBe(10_000);
    expect(config.devices[0]!.registers.map((r) => r.type)).toEqual(['uint32', 'bool']);
  });

  it('rejects bad combinations with a path', () => {
    const bad = modbusSchema.safeParse({
      type: 'modbus', connection: { transport: 'rtu', path: '/dev/ttyUSB0', parity: 'mark' },
      devices: [
        { unitId: 0, sensorId: 's', registers: [{ metric: 'x', function: 'coil', address: 0, type: 'float32' }] },
        { unitId: 0, sensorId: 's', registers: [{ metric: 'y', address: 65535, type: 'int32' }] },
      ],
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['connection.parity', 'devices.0.registers.0.type', 'devices.1.registers.0.address']));
  });

  it('is one of the registry\'s driver types', () => {
    const rtuConfig = { type: 'modbus', connection: { transport: 'rtu', path: '/dev/ttyUSB0', baudRate: 19200, parity: 'even' }, devices: [{ unitId: 1, sensorId: 's', registers: [{ metric: 'x', address: 0 }] }] };
    expect(driverConfigSchema.parse(rtuConfig)).toMatchObject({ connection: { stopBits: 1, dataBits: 8 } });
  });

  it('classifies what modbus-serial rejects with', () => {
    expect(classify({ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }).kind).toBe('timeout');
    expect(classify(Object.assign(new Error('Modbus exception 2: Illegal data address'), { modbusCode: 2 }))).toMatchObject({ kind: 'exception', exceptionCode: 2 });
    expect(classify(new Error('CRC error')).kind).toBe('crc');
    expect(classify(new Error('Data length error, expected 7 got 6')).kind).toBe('frame');
    expect(classify({ name: 'PortNotOpenError', message: 'Port Not Open', errno: 'ECONNREFUSED' }).kind).toBe('disconnected');
  });
});
