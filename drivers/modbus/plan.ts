import { REGISTER_WIDTH, type ModbusFunction, type ModbusRegisterConfig } from './schema.js';

/** Modbus Application Protocol v1.1b3 §6.1–6.4: at most 2000 coils/inputs or 125 registers per read. */
export const MAX_BITS_PER_READ = 2000;
export const MAX_REGISTERS_PER_READ = 125;

export interface PlannedValue {
  register: ModbusRegisterConfig;
  /** Offset of its first register (or bit) inside the block. */
  offset: number;
}

/** One read request: a run of addresses of one function, and the values decoded from it. */
export interface ReadBlock {
  function: ModbusFunction;
  start: number;
  count: number;
  values: PlannedValue[];
}

const limitOf = (fn: ModbusFunction) => (fn === 'coil' || fn === 'discrete' ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ);

/** Coalesces a device's values into as few reads as the per-request limits allow; gaps up to `maxGap` are read across. */
export function planReads(registers: readonly ModbusRegisterConfig[], maxGap = 0): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  const byFunction = new Map<ModbusFunction, ModbusRegisterConfig[]>();
  for (const register of registers) {
    const list = byFunction.get(register.function) ?? [];
    list.push(register);
    byFunction.set(register.function, list);
  }
  for (const [fn, list] of byFunction) {
    const sorted = [...list].sort((a, b) => a.address - b.address);
    let current: ReadBlock | null = null;
    for (const register of sorted) {
      const end = register.address + REGISTER_WIDTH[register.type];
      const fits = current
        && register.address <= current.start + current.count + maxGap
        && Math.max(end, current.start + current.count) - current.start <= limitOf(fn);
      if (current && fits) {
        current.count = Math.max(current.count, end - current.start);
        current.values.push({ register, offset: register.address - current.start });
      } else {
        current = { function: fn, start: register.address, count: end - register.address, values: [{ register, offset: 0 }] };
        blocks.push(current);
      }
    }
  }
  return blocks;
}

/** One read per value: used after a coalesced read drew an exception, to find which address the device refuses. */
export function splitBlock(block: ReadBlock): ReadBlock[] {
  return block.values.map(({ register }) => ({
    function: block.function,
    start: register.address,
    count: REGISTER_WIDTH[register.type],
    values: [{ register, offset: 0 }],
  }));
}

export function describeBlock(unitId: number, block: Pick<ReadBlock, 'function' | 'start' | 'count'>): string {
  const last = block.start + block.count - 1;
  return `unit ${unitId} ${block.function} ${block.start}${last > block.start ? `-${last}` : ''}`;
}
