import { createRequire } from 'node:module';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { syncSchema } from './schema.js';

const requireCache = createRequire(import.meta.url).cache;
const kafkajsLoaded = () => Object.keys(requireCache).some((file) => /[\\/]node_modules[\\/]kafkajs[\\/]/.test(file));

describe('kafkajs is loaded only when the uplink is used', () => {
  it('the gateway controller and a sync worker with sync off do not load it; the first uplink call does', async () => {
    await import('../gateway/gateway.js');
    await import('./worker.js');
    expect(kafkajsLoaded()).toBe(false);
    const { LazyKafkajsUplink } = await import('./lazy-uplink.js');
    const uplink = new LazyKafkajsUplink(syncSchema.parse({ enabled: true, brokers: ['127.0.0.1:1'] }), 'ucid-gw-test', pino({ level: 'silent' }));
    expect(kafkajsLoaded()).toBe(false);
    await uplink.close();
    await uplink.ensureTopics([], false).catch(() => undefined);
    expect(kafkajsLoaded()).toBe(true);
    await uplink.close();
  });
});
