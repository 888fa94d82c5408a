/**
 * Kafka's record batch format v2 (magic 2; KIP-98, https://kafka.apache.org/documentation/#recordbatch),
 * written in one pass into one buffer. kafkajs 2.2.4 builds every record from six growable encoders, BigInt
 * varlongs and byte-at-a-time varints, and CRCs byte by byte: most of a drain's CPU went there
 * (docs/sync.md, benchmark). kafkajs-produce.ts puts this encoder under kafkajs's Produce request.
 */

export type Bytes = string | Buffer | null | undefined;
export type HeaderValue = string | Buffer | null | undefined | ReadonlyArray<string | Buffer>;

export interface BatchRecord {
  key?: Bytes;
  value: Bytes;
  headers?: Readonly<Record<string, HeaderValue>>;
  timestamp?: string | number;
}

const byteLength = (b: Bytes): number => (b == null ? -1 : typeof b === 'string' ? Buffer.byteLength(b) : b.length);

function sizeOfUVarInt(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

/** Zigzag for any safe integer (varint and varlong alike). */
const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const sizeOfVarInt = (v: number): number => sizeOfUVarInt(zigzag(v));

function writeUVarInt(buf: Buffer, off: number, u: number): number {
  while (u >= 0x80) {
    buf[off++] = (u & 0x7f) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[off++] = u;
  return off;
}

const writeVarInt = (buf: Buffer, off: number, v: number): number => writeUVarInt(buf, off, zigzag(v));

function writeBytes(buf: Buffer, off: number, b: Bytes, len: number): number {
  off = writeVarInt(buf, off, len);
  if (b == null) return off;
  if (typeof b === 'string') return off + buf.write(b, off, len);
  b.copy(buf, off);
  return off + len;
}

function headerList(headers: Readonly<Record<string, HeaderValue>> | undefined): Array<[string, Bytes]> {
  const out: Array<[string, Bytes]> = [];
  if (!headers) return out;
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    if (Array.isArray(v)) for (const item of v as ReadonlyArray<string | Buffer>) out.push([k, item]);
    else out.push([k, v as Bytes]);
  }
  return out;
}

/** The records of one batch, uncompressed and concatenated (what a compressed batch compresses). */
export function encodeRecords(records: readonly BatchRecord[], firstTimestamp: number): Buffer {
  const n = records.length;
  const lengths: number[] = [];
  const heads: Array<Array<[string, Bytes]>> = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const keyLen = byteLength(r.key);
    const valueLen = byteLength(r.value);
    const delta = r.timestamp == null ? 0 : Number(r.timestamp) - firstTimestamp;
    const hs = (heads[i] = headerList(r.headers));
    let body = 1 + sizeOfVarInt(delta) + sizeOfVarInt(i) + sizeOfVarInt(keyLen) + Math.max(0, keyLen)
      + sizeOfVarInt(valueLen) + Math.max(0, valueLen) + sizeOfVarInt(hs.length);
    lengths.push(keyLen, valueLen);
    for (const [hk, hv] of hs) {
      const kl = Buffer.byteLength(hk);
      const vl = byteLength(hv);
      lengths.push(kl, vl);
      body += sizeOfVarInt(kl) + kl + sizeOfVarInt(vl) + Math.max(0, vl);
    }
    lengths.push(body);
    total += sizeOfVarInt(body) + body;
  }
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  let li = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i]!;
    const hs = heads[i]!;
    const keyLen = lengths[li++]!;
    const valueLen = lengths[li++]!;
    const body = lengths[li + 2 * hs.length]!;
    off = writeVarInt(buf, off, body);
    buf[off++] = 0;
    off = writeVarInt(buf, off, r.timestamp == null ? 0 : Number(r.timestamp) - firstTimestamp);
    off = writeVarInt(buf, off, i);
    off = writeBytes(buf, off, r.key, keyLen);
    off = writeBytes(buf, off, r.value, valueLen);
    off = writeVarInt(buf, off, hs.length);
    for (const [hk, hv] of hs) {
      off = writeBytes(buf, off, hk, lengths[li++]!);
      off = writeBytes(buf, off, hv, lengths[li++]!);
    }
    li++;
  }
  if (off !== total) throw new Error(`record batch encoding: wrote ${off} of ${total} bytes`);
  return buf;
}

/** First and max timestamp of a batch: the records' own, or `now` for those without. */
export function batchTimestamps(records: readonly BatchRecord[], now: number): { first: number; max: number } {
  let first = Infinity;
  let max = -Infinity;
  let any = false;
  for (const r of records) {
    const t = r.timestamp == null ? now : Number(r.timestamp);
    if (r.timestamp != null) any = true;
    if (t < first) first = t;
    if (t > max) max = t;
  }
  return any ? { first, max } : { first: now, max: now };
}

export interface BatchHeader {
  /** the codec in the attributes' low 3 bits (0 none, 1 gzip, …) */
  codec: number;
  transactional: boolean;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  count: number;
}

const HEADER_BYTES = 61;
const CRC_FROM = 21;

/** A whole batch: baseOffset 0, length, leader epoch, magic 2, CRC-32C over attributes…records. */
export function encodeBatch(h: BatchHeader, records: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + records.length);
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(HEADER_BYTES - 12 + records.length, 8);
  buf.writeInt32BE(0, 12);
  buf.writeInt8(2, 16);
  buf.writeInt16BE(h.codec | (h.transactional ? 16 : 0), 21);
  buf.writeInt32BE(h.lastOffsetDelta, 23);
  buf.writeBigInt64BE(BigInt(h.firstTimestamp), 27);
  buf.writeBigInt64BE(BigInt(h.maxTimestamp), 35);
  buf.writeBigInt64BE(h.producerId, 43);
  buf.writeInt16BE(h.producerEpoch, 51);
  buf.writeInt32BE(h.firstSequence, 53);
  buf.writeInt32BE(h.count, 57);
  records.copy(buf, HEADER_BYTES);
  buf.writeUInt32BE(crc32c(buf, CRC_FROM), 17);
  return buf;
}

// CRC-32C (Castagnoli, reflected 0x82f63b78), slicing by 8.
const TABLES = (() => {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) for (let s = 1; s < 8; s++) t[s * 256 + i] = (t[(s - 1) * 256 + i]! >>> 8) ^ t[t[(s - 1) * 256 + i]! & 0xff]!;
  return t;
})();

export function crc32c(buf: Uint8Array, from = 0, to = buf.length): number {
  const t = TABLES;
  let crc = ~0;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]!
      ^ t[768 + buf[i + 4]!]! ^ t[512 + buf[i + 5]!]! ^ t[256 + buf[i + 6]!]! ^ t[buf[i + 7]!]!;
  }
  for (; i < to; i++) crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
