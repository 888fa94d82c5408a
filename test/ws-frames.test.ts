import fc from 'fast-check';
import * as ws from 'ws';
import { describe, expect, it } from 'vitest';
import { readingFields, readingMessage } from '../gateway/http/messages.js';
import { textFrame } from '../gateway/http/ws-client.js';

// ws's receiver, untyped in @types/ws: the same code every `ws` client decodes frames with
const { Receiver } = ws as unknown as { Receiver: new (options: { isServer: boolean }) => NodeJS.WritableStream & NodeJS.EventEmitter };

describe('server text frames built once per message', () => {
  it('decode with ws\'s own receiver at every length encoding (7-bit, 16-bit, 64-bit)', () => {
    const receiver = new Receiver({ isServer: false });
    const got: string[] = [];
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(false);
      got.push(data.toString());
    });
    const sizes = [0, 1, 125, 126, 127, 65_535, 65_536, 200_000];
    const texts = sizes.map((n) => JSON.stringify({ type: 'x', s: 'é'.repeat(Math.max(0, Math.floor((n - 16) / 2))) }));
    receiver.write(Buffer.concat(texts.map(textFrame)));
    expect(got).toEqual(texts);
  });
});

describe('the reading message written by hand', () => {
  it('is byte for byte what JSON.stringify makes of the same fields, for any strings and numbers', () => {
    fc.assert(fc.property(
      fc.record({
        sensorId: fc.string({ unit: 'binary' }), metric: fc.string(), value: fc.double({ noNaN: true, noDefaultInfinity: true }),
        unit: fc.string({ unit: 'grapheme' }), ts: fc.integer({ min: -8.64e15, max: 8.64e15 }), quality: fc.constantFrom('good', 'uncertain', 'bad'),
      }),
      (r) => readingMessage(r) === JSON.stringify({ type: 'reading', ...readingFields(r) }),
    ), { numRuns: 2_000 });
  });
});
