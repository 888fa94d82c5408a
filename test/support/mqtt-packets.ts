/** MQTT 3.1.1 packets written by hand, for tests that need exact bytes on a raw socket. */

/** Remaining length as MQTT encodes it (1–4 bytes, 7 bits each). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

export const str = (s: string | Buffer) => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length & 0xffff);
  return Buffer.concat([len, b]);
};

export const packet = (first: number, body: Buffer) => Buffer.concat([Buffer.from([first]), varint(body.length), body]);

export const connect = (opts: { name?: string; level?: number; flags?: number; keepalive?: number; clientId?: string | Buffer } = {}) =>
  packet(0x10, Buffer.concat([str(opts.name ?? 'MQTT'), Buffer.from([opts.level ?? 4, opts.flags ?? 0x02, 0, opts.keepalive ?? 30]), str(opts.clientId ?? `raw-${Math.random().toString(36).slice(2, 8)}`)]));

export const publish = (topic: string | Buffer, payload: Buffer, qos = 1, id = 1, flags = 0) =>
  packet(0x30 | (qos << 1) | flags, Buffer.concat([str(topic), qos ? Buffer.from([id >> 8, id & 0xff]) : Buffer.alloc(0), payload]));
