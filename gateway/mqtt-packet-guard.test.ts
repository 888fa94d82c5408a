import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { guardPacketSize } from './mqtt-packet-guard.js';
import { runs } from '../test/fuzz/runs.js';

function fakeSocket() {
  const socket = Object.assign(new EventEmitter(), { destroyed: false, destroy() { socket.destroyed = true; } });
  return socket;
}
const encode = (p: object) => mqttPacket.generate(p as mqttPacket.Packet);

describe('MQTT packet size guard', () => {
  it('lets any stream of valid packets through, however it is chunked, and refuses the first packet over the limit', () => {
    const small = fc.oneof(
      fc.record({ topic: fc.stringMatching(/^[a-z/]{1,30}$/), payload: fc.uint8Array({ maxLength: 3000 }), qos: fc.constantFrom(0, 1), messageId: fc.integer({ min: 1, max: 65535 }) })
        .map((p) => encode({ cmd: 'publish', retain: false, dup: false, ...p, payload: Buffer.from(p.payload) })),
      fc.constant(encode({ cmd: 'pingreq' })),
      fc.constant(encode({ cmd: 'connect', clientId: 'c', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30 })),
    );
    fc.assert(fc.property(fc.array(small, { maxLength: 20 }), fc.integer({ min: 3_200, max: 300_000 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (packets, big, cuts, addBig) => {
      const oversized = encode({ cmd: 'publish', topic: 'a', payload: Buffer.alloc(big), qos: 0, retain: false, dup: false });
      const stream = Buffer.concat([...packets, ...(addBig ? [oversized] : [])]);
      const socket = fakeSocket();
      const refused: number[] = [];
      guardPacketSize(socket as unknown as Socket, 3_100, (n) => refused.push(n));
      const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      let from = 0;
      for (const c of [...at, stream.length]) {
        if (!socket.destroyed) socket.emit('data', stream.subarray(from, c));
        from = c;
      }
      expect(socket.destroyed).toBe(addBig);
      expect(refused.length).toBe(addBig ? 1 : 0);
    }), { numRuns: runs(500) });
  });
});
