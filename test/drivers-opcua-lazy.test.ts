import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const requireCache = createRequire(import.meta.url).cache;
const nodeOpcuaLoaded = () => Object.keys(requireCache).some((file) => /[\\/]node_modules[\\/]node-opcua[^\\/]*[\\/]/.test(file));

describe('OPC UA driver: lazy loading and config', () => {
  it('imports node-opcua only when an opcua instance is loaded, not with the registry or a config that names one', async () => {
    expect(nodeOpcuaLoaded()).toBe(false);
    const { resolveConfig } = await import('../gateway/config/load.js');
    const { loadDriver } = await import('../drivers/load-driver.js');
    const config = resolveConfig({
      gateway: { dataDir: '/tmp/ucid-lazy' },
      drivers: [{ type: 'opcua', name: 'plc', endpoint: 'opc.tcp://127.0.0.1:4840', items: [{ nodeId: 'ns=2;s=T', sensorId: 'plc-t', metric: 'temperature' }] }],
    });
    expect(config.drivers[0]).toMatchObject({ type: 'opcua', securityMode: 'None', publishingInterval: 1000 });
    expect(nodeOpcuaLoaded()).toBe(false);

    await loadDriver('opcua');
    expect(nodeOpcuaLoaded()).toBe(true);
  });

  it('rejects mismatched security settings, bad node ids and duplicate sensor metrics, naming each', async () => {
    const { opcuaSchema } = await import('../drivers/opcua/schema.js');
    const item = { nodeId: 'ns=2;s=T', sensorId: 'plc-t', metric: 'temperature' };
    const result = opcuaSchema.safeParse({
      type: 'opcua', endpoint: 'opc.tcp://plc:4840', securityMode: 'SignAndEncrypt', securityPolicy: 'None',
      items: [item, { ...item, nodeId: 'Temperature' }, item],
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['securityPolicy', 'items.1.nodeId', 'items.2.metric']));
  });
});
