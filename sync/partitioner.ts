/**
 * The Java client's default partitioner for keyed records (murmur2 of the key's UTF-8 bytes, positive,
 * modulo the partition count), as kafkajs's DefaultPartitioner computes it, in 32-bit integer arithmetic
 * instead of kafkajs's BigInt one (several µs a key).
 */
export function murmur2(key: string | Buffer): number {
  const data = typeof key === 'string' ? Buffer.from(key) : key;
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length & 3) {
    case 3: h ^= data[length4 + 2]! << 16; // falls through
    case 2: h ^= data[length4 + 1]! << 8; // falls through
    case 1: h ^= data[length4]!; h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export const keyPartition = (key: string | Buffer, partitions: number): number => (murmur2(key) & 0x7fffffff) % partitions;
