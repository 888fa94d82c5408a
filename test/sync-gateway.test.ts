import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TOPICS } from '../gateway/events/topics.js';
import { parseUcid } from '../gateway/ucid/codec.js';
import { CLI, GatewayProcess, eventually } from './support/gateway-process.js';
import { SHARED_KAFKA } from './support/kafka.js';
import { consumeCommitted } from './support/sync-check.js';

const run = promisify(execFile);

describe.skipIf(!SHARED_KAFKA)('the whole gateway feeding Kafka: simulator → scores → outbox → Kafka', () => {
  it('delivers every stored score once, with DESIGN §6 keys, values and headers; `status` and /metrics show the uplink', async () => {
    const id = `gw-e2e-${randomUUID().slice(0, 8)}`;
    const gateway = await GatewayProcess.start({
      gateway: { id },
      drivers: [{ type: 'simulator', name: 'sim', sites: 3, interval: '10s', backfill: '2h', via: 'direct' }],
      sync: { enabled: true, brokers: [SHARED_KAFKA], createTopics: true, pollInterval: '100ms' },
    });
    try {
      const status = await eventually(async () => {
        const { stdout } = await run(process.execPath, [CLI, 'status', '--json', '--config', gateway.configFile]);
        const s = JSON.parse(stdout) as { sync: { state: string; sent: number } | null; backlog: { events: number } };
        return s.sync?.state === 'online' && s.sync.sent > 0 && s.backlog.events === 0 ? s : null;
      }, 60_000, 500);
      const { stdout: text } = await run(process.execPath, [CLI, 'status', '--config', gateway.configFile]);
      expect(text).toMatch(/uplink: +online \(breaker closed, 0 consecutive failures\)/);
      expect(text).toMatch(/last delivery: \d{4}-\d\d-\d\dT.*events up to seq \d+/);

      const stored = gateway.query<{ eventId: string; ucid: string }>('SELECT event_id AS eventId, ucid FROM scores');
      expect(stored.length).toBeGreaterThan(0);
      const got = await consumeCommitted(SHARED_KAFKA, [TOPICS.scores, TOPICS.alerts], id, status.sync!.sent);
      const ids = got.map((d) => d.eventId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(stored.filter((s) => !ids.includes(s.eventId))).toEqual([]);
      for (const d of got.filter((r) => r.kind === 'ScoreUpdate')) {
        const v = d.value as { event_id: string; ucid: string; gateway_id: string; published_at: string; timestamp: string; schema: string };
        const ucid = parseUcid(v.ucid);
        expect(d.key).toBe(`${ucid.city}:${ucid.h3Index}:${ucid.context}`);
        expect(v).toMatchObject({ event_id: d.eventId, gateway_id: id, schema: expect.any(String), published_at: expect.stringMatching(/Z$/) });
      }

      const metrics = await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/ucid_sync_sent_total\{topic="ucid.processed.scores"\} [1-9]/);
      expect(metrics).toMatch(/ucid_sync_breaker_state 0/);
      expect(metrics).toMatch(/ucid_sync_backlog_events \d+/);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  }, 120000);
});
