import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriverHealth } from '../drivers/driver.js';
import type { StatusSnapshot, SyncStatus } from '../gateway/http/status.js';
import { startHarness } from './support/http-harness.js';
import { WsPeer } from './support/ws-peer.js';

describe('status: drivers and the uplink as their providers report them', () => {
  let h: Awaited<ReturnType<typeof startHarness>>;
  const drivers: DriverHealth[] = [{ name: 'plc', type: 'modbus', state: 'up', lastReadingAt: 1_000, errors: {} }];
  let sync: SyncStatus = {
    enabled: true, state: 'online', backlog: { events: 3, bytes: 2_048, oldestCreatedAt: Date.now() - 5_000 }, lastError: null, lastDelivery: { at: 2_000 },
  };
  const status = (): Omit<StatusSnapshot, 'websocketClients'> => ({
    gatewayId: 'gw-status', city: 'IST', startedAt: 0, ready: true, drivers: drivers.map((d) => ({ ...d })),
    broker: { enabled: true, port: 1883, clients: 4 }, sync,
  });

  beforeAll(async () => {
    h = await startHarness({ status, config: { enabled: true, host: '127.0.0.1', port: 0, auth: false, readingThrottle: 0, statusInterval: 50 } });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('reports the sync worker status in /api/status', async () => {
    const body = await (await fetch(`http://127.0.0.1:${h.port}/api/status`)).json();
    expect(body.sync).toMatchObject({ configured: true, state: 'online', connected: true, backlog_events: 3, backlog_bytes: 2_048, last_delivered_at: 2_000, last_error: null });
    expect(body.sync.oldest_age_ms).toBeGreaterThanOrEqual(5_000);
    expect(body.broker).toEqual({ enabled: true, port: 1883, clients: 4 });
    expect(body.drivers).toEqual([{ name: 'plc', type: 'modbus', state: 'up', last_reading_at: 1_000, errors: {}, detail: null }]);
  });

  it('pushes a `status` message when a driver goes down or the uplink drops', async () => {
    const peer = await WsPeer.open(`ws://127.0.0.1:${h.port}/ws/ucid/IST`);
    await peer.next((m) => m.type === 'initial');
    drivers[0] = { ...drivers[0]!, state: 'down', detail: '127.0.0.1:502: ECONNREFUSED', errors: { connect: 2 } };
    sync = { ...sync, state: 'offline', lastError: { code: 'KAFKA_UNREACHABLE', message: 'connection refused', at: 3_000 } };
    const pushed = await peer.next((m) => m.type === 'status' && (m.data as any).drivers[0].state === 'down');
    expect((pushed.data as any).drivers[0]).toMatchObject({ detail: '127.0.0.1:502: ECONNREFUSED', errors: { connect: 2 } });
    expect((pushed.data as any).sync).toMatchObject({ state: 'offline', connected: false, last_error: 'KAFKA_UNREACHABLE: connection refused' });
    expect((pushed.data as any).websocket_clients).toBe(1);
    peer.close();
  });
});
