import { createHash } from 'node:crypto';
import { WindowEngine } from './engine.js';
import { DEFAULT_WINDOW_SPEC, sessionMaxMs, type WindowSpec } from './spec.js';

/**
 * A window engine's whole state as bytes, so a clean restart can skip the replay (docs/operations.md
 * "Start-up time"): magic, header length, JSON header (keys, spec per metric, the caller's `meta`), the state's
 * float64 numbers, SHA-256 of all that. Restored, the engine is the one that was saved: same windows, watermarks,
 * revisions and key order.
 */
const MAGIC = Buffer.from('UCIDWIN1');
const DIGEST_BYTES = 32;

interface Header {
  seq: number;
  keys: Array<[string, string]>;
  specs: Record<string, number[]>;
  meta: Record<string, number>;
}

/** The numbers that decide what a spec's windows hold: a snapshot taken under another spec is refused. */
function specKey(spec: WindowSpec): number[] {
  return [spec.tumblingMs, spec.sliding?.sizeMs ?? -1, spec.sliding?.slideMs ?? -1, spec.sessionGapMs ?? -1,
    sessionMaxMs(spec), spec.allowedLatenessMs, spec.revisionHorizonMs, spec.idleCloseMs];
}

export function encodeSnapshot(engine: WindowEngine, meta: Record<string, number>): Buffer {
  const state = engine.saveState();
  const header: Header = { seq: state.seq, keys: state.keys, specs: Object.fromEntries([...state.specs].map(([m, s]) => [m, specKey(s)])), meta };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const pad = Buffer.alloc((8 - ((MAGIC.length + 4 + json.length) % 8)) % 8);
  const numbers = Buffer.from(state.numbers.buffer, state.numbers.byteOffset, state.numbers.byteLength);
  const payload = Buffer.concat([MAGIC, length, json, pad, numbers]);
  return Buffer.concat([payload, createHash('sha256').update(payload).digest()]);
}

/** Why a snapshot cannot be used (the caller replays instead). */
export class SnapshotRejected extends Error {}

export function decodeSnapshot(
  bytes: Uint8Array, specFor: (metric: string) => WindowSpec = () => DEFAULT_WINDOW_SPEC,
): { engine: WindowEngine; meta: Record<string, number> } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < MAGIC.length + 4 + DIGEST_BYTES || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new SnapshotRejected('not a window snapshot');
  const payload = buf.subarray(0, buf.length - DIGEST_BYTES);
  if (!createHash('sha256').update(payload).digest().equals(buf.subarray(buf.length - DIGEST_BYTES))) throw new SnapshotRejected('checksum mismatch');
  const jsonLength = payload.readUInt32LE(MAGIC.length);
  const jsonEnd = MAGIC.length + 4 + jsonLength;
  const header = JSON.parse(payload.subarray(MAGIC.length + 4, jsonEnd).toString()) as Header;
  const numbersAt = jsonEnd + ((8 - (jsonEnd % 8)) % 8);
  if ((payload.length - numbersAt) % 8 !== 0) throw new SnapshotRejected('bad length');
  for (const [metric, key] of Object.entries(header.specs)) {
    if (JSON.stringify(specKey(specFor(metric))) !== JSON.stringify(key)) throw new SnapshotRejected(`window spec of ${metric} changed`);
  }
  // a copy: Float64Array needs 8-byte alignment, which a Buffer from SQLite does not promise
  const numbers = new Float64Array(payload.buffer.slice(payload.byteOffset + numbersAt, payload.byteOffset + payload.length));
  const engine = new WindowEngine({ specFor });
  try {
    engine.loadState({ seq: header.seq, keys: header.keys, numbers });
  } catch (err) {
    throw new SnapshotRejected(`state does not parse: ${(err as Error).message}`);
  }
  return { engine, meta: header.meta };
}
