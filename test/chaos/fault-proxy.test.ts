import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

// The proxy the uplink chaos runs put in front of Kafka, checked against a plain echo server.
let echo: net.Server;
let echoPort = 0;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  echoPort = (echo.address() as net.AddressInfo).port;
  proxy = await FaultProxy.start({ port: echoPort });
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => echo.close(r));
});

function connect(): Promise<{ socket: net.Socket; received: () => number; error: () => string | null; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let err: string | null = null;
    let closed = false;
    const socket = net.connect(proxy.port, '127.0.0.1', () => resolve({ socket, received: () => bytes, error: () => err, closed: () => closed }));
    socket.on('data', (c: Buffer) => (bytes += c.length));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      err = e.code ?? e.message;
      reject(e);
    });
    socket.on('close', () => (closed = true));
  });
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(probe: () => boolean, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !probe(); await wait(10)) if (Date.now() > end) throw new Error('timed out');
}

describe('TCP fault proxy', () => {
  it('passes bytes both ways, holds them while stalled and relays them after', async () => {
    proxy.pass();
    const c = await connect();
    c.socket.write(Buffer.alloc(1000, 1));
    await until(() => c.received() === 1000);
    proxy.stall();
    c.socket.write(Buffer.alloc(500, 2));
    await wait(300);
    expect(c.received()).toBe(1000);
    expect(c.closed()).toBe(false);
    proxy.pass();
    await until(() => c.received() === 1500);
    c.socket.destroy();
  });

  it('slows a transfer to its bandwidth cap', async () => {
    proxy.slowDown({ latencyMs: 50, bytesPerSec: 20_000 });
    const c = await connect();
    const started = Date.now();
    c.socket.write(Buffer.alloc(10_000, 3));
    await until(() => c.received() === 10_000, 10_000);
    // 10 kB up and 10 kB back, each capped at 20 kB/s: at least ~0.5 s each way in a pipeline, so ≥ 0.45 s
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    proxy.pass();
    c.socket.destroy();
  });

  it('resets open connections and new ones until passed again', async () => {
    proxy.pass();
    const c = await connect();
    const gotError = new Promise<string>((r) => c.socket.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message)));
    proxy.reset();
    expect(await gotError).toBe('ECONNRESET');
    const second = await new Promise<string>((resolve) => {
      const s = net.connect(proxy.port, '127.0.0.1');
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      s.on('close', () => resolve('closed'));
    });
    expect(['ECONNRESET', 'closed']).toContain(second);
    proxy.pass();
    const third = await connect();
    third.socket.write('x');
    await until(() => third.received() === 1);
    third.socket.destroy();
    expect(proxy.stats().resets).toBeGreaterThanOrEqual(2);
  });
});
