import { readFileSync } from 'node:fs';
import net from 'node:net';
import fc from 'fast-check';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from '../support/gateway-process.js';
import { connect, packet, publish, str, varint } from '../support/mqtt-packets.js';
import { log } from './harness.js';
import { runs } from '../fuzz/runs.js';

// Issue 8 bad input: malformed MQTT on a raw socket against the built gateway. Each connection may be dropped,
// never the gateway: after every packet a real client still gets its QoS 1 reading committed and PUBACKed.
let gateway: GatewayProcess;
beforeAll(async () => {
  gateway = await GatewayProcess.start({ mqtt: { maxPayload: '64KiB' } });
});
afterAll(async () => {
  expect(await gateway.stop()).toBe(0);
});

/** Sends `bytes` on a fresh socket and waits until the gateway closes it or `ms` pass. */
function send(bytes: Buffer[], ms = 1_000): Promise<{ closed: boolean; received: number }> {
  return new Promise((resolve) => {
    let received = 0;
    const socket = net.connect(gateway.mqttPort, '127.0.0.1', () => {
      for (const b of bytes) socket.write(b);
    });
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ closed, received });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.on('error', () => done(true));
    socket.on('close', () => done(true));
  });
}

let probes = 0;
/** A real client's QoS 1 publish is committed and acknowledged. */
async function stillIngests(): Promise<void> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: `probe-${probes++}`, reconnectPeriod: 0, connectTimeout: 10_000 });
  try {
    await client.publishAsync('sensors/pm25/probe-1', JSON.stringify({ value: probes, ts: Date.now() }), { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'))![1]) / 1024;

describe('chaos: malformed MQTT packets on a raw socket', () => {
  const cases: Array<[string, Buffer[]]> = [
    ['garbage before CONNECT', [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]],
    ['CONNECT with protocol level 9', [connect({ level: 9 })]],
    ['CONNECT with a wrong protocol name', [connect({ name: 'MQTTX' })]],
    ['CONNECT with the reserved flag set', [connect({ flags: 0x03 })]],
    ['CONNECT with a will of QoS 3', [connect({ flags: 0x02 | 0x04 | 0x18 })]],
    ['CONNECT with a client id that is not UTF-8', [connect({ clientId: Buffer.from([0xc3, 0x28, 0xff]) })]],
    ['two CONNECTs', [connect(), connect()]],
    ['PUBLISH before CONNECT', [publish('sensors/pm25/x', Buffer.from('1'))]],
    ['PUBLISH with QoS 3', [connect(), publish('sensors/pm25/x', Buffer.from('1'), 3)]],
    ['PUBLISH QoS 1 with packet id 0', [connect(), publish('sensors/pm25/x', Buffer.from('1'), 1, 0)]],
    ['PUBLISH to a wildcard topic', [connect(), publish('sensors/+/x', Buffer.from('1'))]],
    ['PUBLISH to an empty topic', [connect(), publish('', Buffer.from('1'))]],
    ['PUBLISH to a topic with NUL and invalid UTF-8', [connect(), publish(Buffer.from([0x73, 0x00, 0xc3, 0x28]), Buffer.from('1'))]],
    ['PUBLISH with a topic length past the packet', [connect(), Buffer.from([0x32, 0x04, 0xff, 0xff, 0x61, 0x62])]],
    ['remaining length of five bytes', [connect(), Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])]],
    ['truncated PUBLISH, then silence', [connect(), publish('sensors/pm25/x', Buffer.from('12')).subarray(0, 6)]],
    ['SUBSCRIBE with no topics and with QoS 3', [connect(), packet(0x82, Buffer.from([0, 1])), packet(0x82, Buffer.concat([Buffer.from([0, 2]), str('a/#'), Buffer.from([3])]))]],
    ['SUBSCRIBE to a broken filter', [connect(), packet(0x82, Buffer.concat([Buffer.from([0, 3]), str('a/#/b'), Buffer.from([1])]))]],
    ['reserved packet types 0 and 15', [connect(), packet(0x00, Buffer.alloc(0)), packet(0xf0, Buffer.alloc(0))]],
    ['PUBREL/PUBCOMP for nothing, PINGRESP from a client', [connect(), packet(0x62, Buffer.from([0, 9])), packet(0x70, Buffer.from([0, 9])), packet(0xd0, Buffer.alloc(0))]],
    ['a payload over mqtt.maxPayload', [connect(), publish('sensors/pm25/x', Buffer.alloc(200 * 1024, 0x31))]],
  ];

  it.each(cases)('%s: the connection may go, the gateway stays', async (_name, bytes) => {
    await send(bytes);
    await stillIngests();
  });

  it('random bytes, and valid packets with bytes flipped or cut, on many connections', async () => {
    const base = Buffer.concat([connect(), publish('sensors/pm25/fuzz-1', Buffer.from('{"value":1}')), packet(0x82, Buffer.concat([Buffer.from([0, 2]), str('sensors/#'), Buffer.from([1])])), Buffer.from([0xc0, 0])]);
    const input = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat()).map(([flips, cut]) => {
        const b = Buffer.from(base);
        for (const [at, v] of flips) b[at % b.length] = v;
        return b.subarray(0, 1 + (cut % b.length));
      }),
    );
    await fc.assert(fc.asyncProperty(input, async (bytes) => {
      await send([bytes], 300);
    }), { numRuns: runs(100) });
    await stillIngests();
    expect(gateway.child.exitCode).toBeNull();
  }, 300_000);

  it('a PUBLISH that declares 256 MB and streams 48 MB is cut off; the gateway does not buffer it', async () => {
    const before = rssMiB();
    const header = Buffer.concat([connect(), Buffer.from([0x30]), varint(256 * 1024 * 1024 - 1), str('sensors/pm25/big')]);
    const result = await new Promise<{ sent: number; closedBy: string }>((resolve) => {
      let sent = 0;
      const chunk = Buffer.alloc(1 << 20, 0x31);
      const socket = net.connect(gateway.mqttPort, '127.0.0.1', () => {
        socket.write(header);
        const pump = () => {
          while (sent < 48 << 20) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
          setTimeout(() => finish('client (all sent)'), 1_000);
        };
        pump();
      });
      const finish = (closedBy: string) => {
        socket.destroy();
        resolve({ sent, closedBy });
      };
      socket.on('error', () => finish('gateway'));
      socket.on('close', () => finish('gateway'));
    });
    const after = rssMiB();
    log('oversized publish', { ...result, rssBeforeMiB: Math.round(before), rssAfterMiB: Math.round(after) });
    await stillIngests();
    expect(result.closedBy).toBe('gateway');
    expect(after - before).toBeLessThan(24);
  }, 120_000);
});
