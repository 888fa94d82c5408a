import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { GatewayProcess } from './support/gateway-process.js';

const TARGET_ACKS = 3_000;
const INFLIGHT = 200;

describe('durability: SIGKILL while a QoS 1 publisher runs', () => {
  it('every PUBACKed reading is in the database after a restart', async () => {
    const gateway = await GatewayProcess.start({});
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${gateway.mqttPort}`, { clientId: 'crash-publisher', reconnectPeriod: 0 });
    client.on('error', () => undefined);
    const acked: number[] = [];
    let next = 0;
    let killed = false;

    await new Promise<void>((resolve) => {
      const publishOne = () => {
        if (killed) return;
        const seq = next++;
        client.publish('sensors/seq/crash-1', JSON.stringify({ value: seq, ts: Date.now() }), { qos: 1 }, (err) => {
          if (err) return;
          acked.push(seq);
          if (acked.length === TARGET_ACKS && !killed) {
            killed = true;
            gateway.child.kill('SIGKILL');
            resolve();
          }
          publishOne();
        });
      };
      for (let i = 0; i < INFLIGHT; i++) publishOne();
    });
    client.end(true);
    await gateway.kill();
    expect(next).toBeGreaterThan(TARGET_ACKS);

    const restarted = await GatewayProcess.spawn(['start', '--config', gateway.configFile], gateway.dir, gateway.configFile);
    const stored = new Set(restarted.query<{ value: number }>(`SELECT value FROM readings WHERE sensor_id = 'crash-1'`).map((r) => r.value));
    const lost = acked.filter((seq) => !stored.has(seq));
    expect(lost).toEqual([]);
    expect(await restarted.stop()).toBe(0);
  });
});
