import type { ConfigInput } from './schema.js';

/** What runs with no config at all: simulator + embedded broker + SQLite under ./data. Same as examples/demo.yaml. */
export const DEMO_CONFIG: ConfigInput = {
  gateway: { id: 'gw-demo', city: 'IST' },
  mqtt: { allowAnonymous: true },
  drivers: [{ type: 'simulator', name: 'sim', sites: 3, interval: '10s', backfill: '1h' }],
};
