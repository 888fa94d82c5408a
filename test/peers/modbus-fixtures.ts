import type { PeerValue } from './modbus-peer.js';

export const NUMERIC_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export const ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
const WIDTH = { int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4 } as const;
const SAMPLE = { int16: -12345, uint16: 54321, int32: -123456789, uint32: 3_000_000_000, float32: -273.15, float64: 6.02214076e23 } as const;

export interface TypedValue {
  config: Record<string, unknown>;
  peer: PeerValue;
  /** What the driver must report: float32 as the device holds it (Math.fround). */
  expected: number;
}

/** Every numeric type in every word order, packed back to back from `start` (one coalesced read), plus bits. */
export function typedValues(unit: number, start = 0): TypedValue[] {
  const values: TypedValue[] = [];
  let address = start;
  for (const order of ORDERS) {
    for (const type of NUMERIC_TYPES) {
      const value = SAMPLE[type];
      const metric = `${type}_${order.toLowerCase()}`;
      values.push({
        config: { metric, function: 'holding', address, type, wordOrder: order },
        peer: { unit, table: 'holding', address, type, order, value },
        expected: type === 'float32' ? Math.fround(value) : value,
      });
      address += WIDTH[type];
    }
  }
  values.push(
    { config: { metric: 'scaled', function: 'input', address: 10, type: 'uint16', scale: 0.1, offset: -5, unit: 'degC' }, peer: { unit, table: 'input', address: 10, type: 'uint16', value: 250 }, expected: 20 },
    { config: { metric: 'input_i32', function: 'input', address: 11, type: 'int32', wordOrder: 'CDAB' }, peer: { unit, table: 'input', address: 11, type: 'int32', order: 'CDAB', value: -7 }, expected: -7 },
    { config: { metric: 'coil_on', function: 'coil', address: 3 }, peer: { unit, table: 'coil', address: 3, type: 'bool', value: 1 }, expected: 1 },
    { config: { metric: 'coil_off', function: 'coil', address: 4 }, peer: { unit, table: 'coil', address: 4, type: 'bool', value: 0 }, expected: 0 },
    { config: { metric: 'discrete_on', function: 'discrete', address: 17 }, peer: { unit, table: 'discrete', address: 17, type: 'bool', value: 1 }, expected: 1 },
  );
  return values;
}

/** Holding, input, coil and discrete reads: what one poll of `typedValues` costs. */
export const TYPED_REQUESTS = { 3: 1, 4: 1, 1: 1, 2: 1 } as const;
