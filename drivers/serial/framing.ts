/** What a framer found in the bytes pushed into it, in order. */
export type FrameEvent =
  | { kind: 'frame'; bytes: Buffer }
  /** Bytes skipped while looking for a frame or line: noise, a partial frame, a line over the limit. */
  | { kind: 'skipped'; reason: 'garbage' | 'checksum' | 'overflow'; bytes: Buffer };

export interface Framer {
  push(chunk: Buffer): FrameEvent[];
  /** Forget a partial frame (the port closed). */
  reset(): void;
}

const MAX_SKIPPED_KEPT = 64;

/** Splits on a delimiter; a trailing CR is dropped; a run longer than maxLength is discarded up to the next delimiter. */
export class LineFramer implements Framer {
  private pending = Buffer.alloc(0);
  private overflowing = false;
  private readonly delimiter: Buffer;

  constructor(delimiter: string, private readonly maxLength: number) {
    this.delimiter = Buffer.from(delimiter, 'utf8');
  }

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let at = data.indexOf(this.delimiter); at >= 0; at = data.indexOf(this.delimiter)) {
      const line = data.subarray(0, at);
      data = data.subarray(at + this.delimiter.length);
      if (this.overflowing) {
        this.overflowing = false;
        continue;
      }
      const trimmed = line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
      if (trimmed.length) events.push({ kind: 'frame', bytes: Buffer.from(trimmed) });
    }
    if (data.length > this.maxLength) {
      if (!this.overflowing) events.push({ kind: 'skipped', reason: 'overflow', bytes: Buffer.from(data.subarray(0, MAX_SKIPPED_KEPT)) });
      this.overflowing = true;
      data = data.subarray(data.length - (this.delimiter.length - 1));
    }
    this.pending = Buffer.from(data);
    return events;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
    this.overflowing = false;
  }
}

/**
 * Nova Fitness SDS011 data frame (laser dust sensor datasheet v1.3, "UART communication protocol"):
 * AA C0 PM25lo PM25hi PM10lo PM10hi ID1 ID2 checksum AB, checksum = (sum of bytes 2..7) mod 256.
 * Anything else is skipped; after a bad frame the search restarts one byte after its header.
 */
export class Sds011Framer implements Framer {
  static readonly LENGTH = 10;
  private pending = Buffer.alloc(0);

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let garbage = 0;
    const flushGarbage = (upTo: number) => {
      if (garbage > 0) events.push({ kind: 'skipped', reason: 'garbage', bytes: Buffer.from(data.subarray(upTo - garbage, upTo).subarray(0, MAX_SKIPPED_KEPT)) });
      garbage = 0;
    };
    let at = 0;
    while (at < data.length) {
      if (data[at] !== 0xaa || (at + 1 < data.length && data[at + 1] !== 0xc0)) {
        garbage++;
        at++;
        continue;
      }
      if (at + Sds011Framer.LENGTH > data.length) break;
      const frame = data.subarray(at, at + Sds011Framer.LENGTH);
      flushGarbage(at);
      if (frame[9] === 0xab && checksum(frame) === frame[8]) {
        events.push({ kind: 'frame', bytes: Buffer.from(frame) });
        at += Sds011Framer.LENGTH;
      } else {
        events.push({ kind: 'skipped', reason: 'checksum', bytes: Buffer.from(frame) });
        at += 1;
      }
    }
    flushGarbage(at);
    data = data.subarray(at);
    this.pending = Buffer.from(data);
    return events;
  }

  reset(): void {
    this.pending = Buffer.alloc(0);
  }
}

export function checksum(frame: Buffer): number {
  let sum = 0;
  for (let i = 2; i <= 7; i++) sum += frame[i]!;
  return sum & 0xff;
}

export interface Sds011Sample {
  pm25: number;
  pm10: number;
  deviceId: number;
}

/** Values are little-endian tenths of µg/m³. */
export function decodeSds011(frame: Buffer): Sds011Sample {
  return { pm25: frame.readUInt16LE(2) / 10, pm10: frame.readUInt16LE(4) / 10, deviceId: frame.readUInt16BE(6) };
}
