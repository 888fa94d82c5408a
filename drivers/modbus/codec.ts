import { REGISTER_WIDTH, type RegisterType, type WordOrder } from './schema.js';

/**
 * The value's big-endian bytes (A = most significant) from registers as the device sent them:
 * ABCD as is, CDAB registers reversed, BADC bytes swapped in each register, DCBA both (little-endian).
 * 64-bit values follow the same rule over four registers.
 */
export function registersToBytes(registers: readonly number[], order: WordOrder): Buffer {
  const words = order === 'CDAB' || order === 'DCBA' ? [...registers].reverse() : registers;
  const swap = order === 'BADC' || order === 'DCBA';
  const bytes = Buffer.alloc(words.length * 2);
  words.forEach((word, i) => {
    if (swap) bytes.writeUInt16LE(word & 0xffff, i * 2);
    else bytes.writeUInt16BE(word & 0xffff, i * 2);
  });
  return bytes;
}

/** Decodes one numeric value from exactly REGISTER_WIDTH[type] registers. */
export function decodeRegisters(registers: readonly number[], type: Exclude<RegisterType, 'bool'>, order: WordOrder): number {
  if (registers.length !== REGISTER_WIDTH[type]) throw new Error(`${type} needs ${REGISTER_WIDTH[type]} registers, got ${registers.length}`);
  const bytes = registersToBytes(registers, order);
  switch (type) {
    case 'int16': return bytes.readInt16BE(0);
    case 'uint16': return bytes.readUInt16BE(0);
    case 'int32': return bytes.readInt32BE(0);
    case 'uint32': return bytes.readUInt32BE(0);
    case 'float32': return bytes.readFloatBE(0);
    case 'float64': return bytes.readDoubleBE(0);
  }
}

/** The inverse, for tests and tools: registers as a device with this word order would hold them. */
export function encodeRegisters(value: number, type: Exclude<RegisterType, 'bool'>, order: WordOrder): number[] {
  const bytes = Buffer.alloc(REGISTER_WIDTH[type] * 2);
  switch (type) {
    case 'int16': bytes.writeInt16BE(value); break;
    case 'uint16': bytes.writeUInt16BE(value); break;
    case 'int32': bytes.writeInt32BE(value); break;
    case 'uint32': bytes.writeUInt32BE(value); break;
    case 'float32': bytes.writeFloatBE(value); break;
    case 'float64': bytes.writeDoubleBE(value); break;
  }
  const swap = order === 'BADC' || order === 'DCBA';
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) words.push(swap ? bytes.readUInt16LE(i) : bytes.readUInt16BE(i));
  return order === 'CDAB' || order === 'DCBA' ? words.reverse() : words;
}
