import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../gateway/http/messages.js';
import { runs } from './runs.js';

// Issue 8 bad input: WebSocket client frames (DESIGN §7). The protocol's own test runs them against the live
// server (test/ws-protocol.test.ts); here the parser alone, at volume: an error reply or a clean message.
const frame = fc.oneof(
  fc.record({
    type: fc.oneof(fc.constantFrom('subscribe', 'ping', 'SUBSCRIBE', '', 'initial'), fc.string({ maxLength: 10 }), fc.anything()),
    city: fc.oneof(fc.constantFrom('IST', 'ist', 'XX', 'ISTA'), fc.string({ maxLength: 5 }), fc.anything()),
    context: fc.oneof(fc.constantFrom('TRANSIT', 'climate', '*', 'ALL', null, 'TOOLONGCTX'), fc.string({ maxLength: 10 }), fc.anything()),
    readings: fc.oneof(fc.boolean(), fc.anything()),
    sensor: fc.oneof(fc.string({ maxLength: 140 }), fc.constant(null), fc.anything()),
    metric: fc.oneof(fc.string({ maxLength: 20 }), fc.anything()),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
  fc.anything().map((v) => JSON.stringify(v) ?? ''),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{', '{"type":"subscribe","city":"IST"', '\u0000', '{"__proto__":{"type":"ping"}}', '{"type":"subscribe","constructor":{}}'),
);

describe('fuzz: WebSocket client messages', () => {
  it('text frames: an error with a code and a message, or a message whose fields are all valid', () => {
    fc.assert(fc.property(frame, fc.boolean(), (text, split) => {
      const buf = Buffer.from(text);
      const data = split && buf.length > 1 ? [buf.subarray(0, 1), buf.subarray(1)] : buf;
      const parsed = parseClientMessage(data, false);
      if (!parsed.ok) {
        expect(parsed.error).toMatch(/^[a-z_]+$/);
        expect(parsed.message.length).toBeGreaterThan(0);
        return;
      }
      const m = parsed.message;
      if (m.type === 'ping') return;
      expect(m.type).toBe('subscribe');
      if (m.city !== undefined) expect(m.city).toMatch(/^[A-Z]{3}$/);
      if (m.context !== null) expect(m.context).toMatch(/^[A-Z0-9]{1,8}$/);
      expect(typeof m.readings).toBe('boolean');
      for (const v of [m.sensor, m.metric]) if (v !== null) expect(v).toMatch(/^[\w.:@/-]{1,128}$/);
    }), { numRuns: runs(5_000) });
  });

  it('binary frames are refused, whatever they hold', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      expect(parseClientMessage(Buffer.from(bytes), true)).toMatchObject({ ok: false, error: 'binary_frame' });
    }), { numRuns: runs(200) });
  });
});
