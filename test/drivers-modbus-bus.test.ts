import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ModbusBus, type BusOptions, type ModbusClient } from '../drivers/modbus/bus.js';

type Behaviour = 'answer' | 'silent' | 'drop-connection';

/**
 * Stands in for modbus-serial's client only to observe the bus's own invariants (one request in flight,
 * renewal, fail-fast); the protocol itself is tested against pymodbus in drivers-modbus-{tcp,rtu}.test.ts.
 */
class FakeLine {
  inFlight = 0;
  maxInFlight = 0;
  created = 0;
  order: number[] = [];
  refuse = false;
  behaviour: (unit: number) => Behaviour = () => 'answer';

  client(): ModbusClient {
    const line = this;
    const events = new EventEmitter();
    let unit = 0;
    let timeout = 0;
    let open = false;
    this.created++;
    const read = (address: number, length: number) => new Promise<{ data: number[] }>((resolve, reject) => {
      line.inFlight++;
      line.maxInFlight = Math.max(line.maxInFlight, line.inFlight);
      line.order.push(unit);
      const what = line.behaviour(unit);
      const settle = (fn: () => void) => setTimeout(() => {
        line.inFlight--;
        fn();
      }, what === 'silent' ? timeout : 2);
      if (what === 'answer') settle(() => resolve({ data: Array.from({ length }, (_, i) => address + i) }));
      else if (what === 'silent') settle(() => reject({ name: 'TransactionTimedOutError', message: 'Timed out', errno: 'ETIMEDOUT' }));
      else settle(() => {
        open = false;
        events.emit('close');
      });
    });
    return {
      setID: (id) => { unit = id; },
      setTimeout: (ms) => { timeout = ms; },
      readHoldingRegisters: read,
      readInputRegisters: read,
      readCoils: () => Promise.reject(new Error('unused')),
      readDiscreteInputs: () => Promise.reject(new Error('unused')),
      on: (event: string, listener: (...args: unknown[]) => unknown) => events.on(event, listener),
      get isOpen() { return open; },
      close: (cb) => { open = false; cb(); },
      destroy: (cb) => { open = false; cb(); },
      connect: () => (line.refuse ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve().then(() => { open = true; })),
    } as ModbusClient & { connect(): Promise<void> };
  }
}

function busOn(line: FakeLine, overrides: Partial<BusOptions> = {}): { bus: ModbusBus; downs: string[] } {
  const downs: string[] = [];
  const bus = new ModbusBus({
    create: () => line.client(),
    connect: (client) => (client as ModbusClient & { connect(): Promise<void> }).connect(),
    renewAfterTimeout: true, release: 'destroy', connectTimeoutMs: 1000, frameGapMs: 0, reconnectMinMs: 60_000, reconnectMaxMs: 60_000,
    onUp: () => undefined,
    onDown: (kind) => downs.push(kind),
    ...overrides,
  });
  return { bus, downs };
}

describe('modbus bus', () => {
  it('keeps exactly one request in flight, in FIFO order', async () => {
    const line = new FakeLine();
    const { bus } = busOn(line);
    const results = await Promise.all([1, 2, 3, 4, 5].map((unit) => bus.read(unit, 'holding', unit * 10, 2, 100)));
    expect(results).toEqual([[10, 11], [20, 21], [30, 31], [40, 41], [50, 51]]);
    expect(line.maxInFlight).toBe(1);
    expect(line.order).toEqual([1, 2, 3, 4, 5]);
    await bus.close();
  });

  it('a silent unit costs the others one timeout, and a timed-out TCP client is replaced', async () => {
    const line = new FakeLine();
    line.behaviour = (unit) => (unit === 9 ? 'silent' : 'answer');
    const { bus, downs } = busOn(line);
    const dead = bus.read(9, 'holding', 0, 1, 50).catch((err: { kind: string }) => err.kind);
    const alive = bus.read(1, 'holding', 0, 1, 50);
    expect(await dead).toBe('timeout');
    expect(await alive).toEqual([0]);
    expect(line.created).toBe(2);
    expect(downs).toEqual([]);
    await bus.close();
  });

  it('a connection lost mid-request fails it at once and the next request opens a new client', async () => {
    const line = new FakeLine();
    line.behaviour = (unit) => (unit === 3 ? 'drop-connection' : 'answer');
    const { bus, downs } = busOn(line, { reconnectMinMs: 0 });
    await expect(bus.read(3, 'holding', 0, 1, 10_000)).rejects.toMatchObject({ kind: 'disconnected' });
    expect(await bus.read(1, 'input', 5, 1, 100)).toEqual([5]);
    expect(line.created).toBe(2);
    expect(downs).toEqual(['disconnect']);
    await bus.close();
  });

  it('after a failed connect, requests fail fast until the backoff has passed', async () => {
    const line = new FakeLine();
    line.refuse = true;
    const { bus, downs } = busOn(line);
    await expect(bus.read(1, 'holding', 0, 1, 100)).rejects.toMatchObject({ kind: 'disconnected', message: expect.stringContaining('ECONNREFUSED') });
    await expect(bus.read(1, 'holding', 0, 1, 100)).rejects.toMatchObject({ kind: 'disconnected' });
    expect(line.created).toBe(1);
    expect(downs).toEqual(['connect']);
    await bus.close();
  });
});
