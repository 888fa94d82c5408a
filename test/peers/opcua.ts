import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { opcuaSchema } from '../../drivers/opcua/schema.js';
import type { Reading } from '../../gateway/reading.js';
import { PEERS_DIR, PYTHON, startPeer, type Peer } from './process.js';

/** Variables both OPC UA peers serve, and the metric each is read as. */
export const ITEMS = [
  ['Temperature', 'temperature', 'C'], ['Uncertain', 'pm25', 'ugm3'], ['Bad', 'no2', 'ugm3'], ['Counter', 'count', ''],
  ['Instance', 'instance', ''], ['Big', 'big', ''], ['Flag', 'flag', ''],
] as const;

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'ucid-opcua-'));
}

export function startNodeOpcuaServer(port: number, pki: string, instance: number, user = 'operator:s3cret'): Promise<Peer> {
  return startPeer('node', [path.join(PEERS_DIR, 'opcua_node_server.mjs'), '--port', String(port), '--pki', pki, '--instance', String(instance), '--user', user]);
}

export function startAsyncuaServer(port: number, instance: number): Promise<Peer> {
  return startPeer(PYTHON, [path.join(PEERS_DIR, 'opcua_server.py'), '--port', String(port), '--instance', String(instance)]);
}

/** A driver config for one of the peers, fast enough for tests (100 ms publishing, sub-second reconnects). */
export function opcuaConfig(port: number, ns: number, pki: string, extra: Record<string, unknown> = {}) {
  return opcuaSchema.parse({
    type: 'opcua', name: 'plc', endpoint: `opc.tcp://127.0.0.1:${port}/ucid`, pkiDir: path.join(pki, 'client'),
    publishingInterval: '100ms', samplingInterval: '100ms', requestTimeout: '3s',
    reconnect: { initialDelay: '200ms', maxDelay: '1s', rebuildAfter: '30s' },
    items: ITEMS.map(([node, metric, unit]) => ({ nodeId: `ns=${ns};s=${node}`, sensorId: 'plc-1', metric, unit })),
    ...extra,
  });
}

export const latest = (readings: Reading[], metric: string) => readings.filter((r) => r.metric === metric).at(-1);
