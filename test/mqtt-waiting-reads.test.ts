import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from './support/gateway-process.js';
import { connect as connectPacket, publish } from './support/mqtt-packets.js';

const publishQos1 = (topic: string, id: number, payload: string) => publish(topic, Buffer.from(payload), 1, id);

/** The acknowledgements a raw client receives, by type: CONNACK once, then PUBACK packet ids in order. */
class RawClient {
  readonly pubacks: number[] = [];
  private connacked = false;
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4) {
        if (this.buffered[0] === 0x20) this.connacked = true;
        if (this.buffered[0] === 0x40) this.pubacks.push(this.buffered.readUInt16BE(2));
        this.buffered = this.buffered.subarray(4); // CONNACK and PUBACK are 4 bytes each
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(port: number, clientId: string): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    socket.write(connectPacket({ clientId }));
    await client.until(() => client.connacked);
    return client;
  }

  async until(done: () => boolean): Promise<void> {
    while (!done()) {
      if (this.socket.destroyed) throw new Error(`connection closed; PUBACKs so far: ${this.pubacks.join(', ')}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

const batchMetric = async (gateway: GatewayProcess) => ({
  commits: await gateway.metric('ucid_store_commit_batch_readings_count'),
  readings: await gateway.metric('ucid_store_commit_batch_readings_sum'),
});

describe('publishes sent while a client waits for a commit join that commit', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await GatewayProcess.start({
      sensors: [{ id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' }],
      store: { minCommitInterval: '1500ms', commitNowAtReadings: 1000, readingsPerCommit: 1_000_000 },
    });
  });

  afterAll(async () => {
    expect(await gateway?.stop()).toBe(0);
  });

  it('reads the second chunk before the commit, so both chunks are acknowledged by one commit', async () => {
    const client = await RawClient.open(gateway.mqttPort, 'waiting-reads');
    client.socket.write(publishQos1('sensors/pm25/air-1', 1, '10'));
    await client.until(() => client.pubacks.length === 1); // a commit just ran: the next waits ~1.5 s
    const before = await batchMetric(gateway);

    // aedes counts a chunk's packets and reads the socket again once they are done; 3 packets, then 2 more
    client.socket.write(Buffer.concat([2, 3, 4].map((id) => publishQos1('sensors/pm25/air-1', id, String(10 + id)))));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.pubacks).toEqual([1]);
    client.socket.write(Buffer.concat([5, 6].map((id) => publishQos1('sensors/pm25/air-1', id, String(10 + id)))));
    await client.until(() => client.pubacks.length === 6);

    expect(client.pubacks).toEqual([1, 2, 3, 4, 5, 6]);
    const after = await batchMetric(gateway);
    expect({ commits: after.commits - before.commits, readings: after.readings - before.readings }).toEqual({ commits: 1, readings: 5 });
    expect(gateway.query<{ n: number }>("SELECT count(*) AS n FROM readings WHERE sensor_id = 'air-1'")[0]!.n).toBe(6);
    client.socket.destroy();
  });
});

describe('reading waiting clients stops at store.maxBatchReadings', () => {
  let gateway: GatewayProcess;

  beforeAll(async () => {
    gateway = await GatewayProcess.start({
      sensors: [{ id: 'air-1', lat: 41.015, lon: 28.979, contexts: ['CLIMATE'], expectedInterval: '30s' }],
      store: { minCommitInterval: '1500ms', commitNowAtReadings: 1000, readingsPerCommit: 1_000_000, maxBatchReadings: 5 },
    });
  });

  afterAll(async () => {
    expect(await gateway?.stop()).toBe(0);
  });

  it('a client not read for lack of room is read for the next commit, and nothing is lost', async () => {
    const a = await RawClient.open(gateway.mqttPort, 'room-a');
    const b = await RawClient.open(gateway.mqttPort, 'room-b');
    a.socket.write(publishQos1('sensors/pm25/air-1', 1, '10'));
    await a.until(() => a.pubacks.length === 1); // a commit just ran: the next waits ~1.5 s
    const before = await batchMetric(gateway);

    const send = (client: RawClient, ids: number[]) => client.socket.write(Buffer.concat(ids.map((id) => publishQos1('sensors/pm25/air-1', id, String(id)))));
    send(a, [2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    send(b, [1, 2]); // 4 readings wait, both clients unread until the commit
    await new Promise((resolve) => setTimeout(resolve, 100));
    send(a, [4, 5]);
    send(b, [3, 4]);
    await a.until(() => a.pubacks.length === 5);
    await b.until(() => b.pubacks.length === 4);

    // the commit read a's second chunk (6 readings, the cap passed) and left b's for the next one
    const after = await batchMetric(gateway);
    expect({ commits: after.commits - before.commits, readings: after.readings - before.readings }).toEqual({ commits: 2, readings: 8 });
    expect(a.pubacks).toEqual([1, 2, 3, 4, 5]);
    expect(b.pubacks).toEqual([1, 2, 3, 4]);
    expect(gateway.query<{ n: number }>("SELECT count(*) AS n FROM readings WHERE sensor_id = 'air-1'")[0]!.n).toBe(9);
    a.socket.destroy();
    b.socket.destroy();
  });
});
