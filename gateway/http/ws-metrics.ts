import { Counter, Gauge } from '../prometheus/metric.js';
import type { Registry } from '../prometheus/registry.js';

/** WebSocket hub metrics beside `ucid_streaming_connections{city}` (which lives in gateway/metrics.ts). */
export function createWsMetrics(registry: Registry, queuedBytes: () => number) {
  const registers = [registry];
  return {
    dropped: new Counter({ name: 'ucid_ws_clients_dropped_total', help: 'WebSocket clients dropped by the server', labelNames: ['reason'], registers }),
    coalesced: new Counter({ name: 'ucid_ws_coalesced_total', help: 'Queued messages replaced by a newer one for a slow client', registers }),
    clientErrors: new Counter({ name: 'ucid_ws_client_errors_total', help: 'Client messages answered with an error', labelNames: ['error'], registers }),
    queued: new Gauge({
      name: 'ucid_ws_queued_bytes', help: 'Bytes waiting for WebSocket clients (socket buffers plus coalesced queues)', registers,
      collect() {
        this.set(queuedBytes());
      },
    }),
  };
}

export type WsMetrics = ReturnType<typeof createWsMetrics>;
