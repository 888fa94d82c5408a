import { describe, expect, it } from 'vitest';
import { checkpointRecord, toUplinkRecord, withPublishedAt } from './records.js';
import { syncSchema } from './schema.js';

describe('records', () => {
  it('adds published_at to the stored payload without changing anything else', () => {
    const payload = JSON.stringify({ event_id: 'e1', score: 71.5, nested: { a: [1, 2] } });
    const out = JSON.parse(withPublishedAt(payload, '2026-01-01T00:00:00.000Z'));
    expect(out).toEqual({ event_id: 'e1', score: 71.5, nested: { a: [1, 2] }, published_at: '2026-01-01T00:00:00.000Z' });
    expect(JSON.parse(withPublishedAt('{}', 'x'))).toEqual({ published_at: 'x' });
  });

  it('keys by msg_key and carries event_id and correlation id headers', () => {
    const r = toUplinkRecord({ seq: 7, eventId: 'abc', kind: 'ScoreUpdate', topic: 'ucid.processed.scores', key: 'IST:8f:CLIMATE', payload: '{"a":1}', bytes: 20, createdAt: 0 },
      'gw-1', 'gw-1:7-9', 'T');
    expect(r).toEqual({ topic: 'ucid.processed.scores', key: 'IST:8f:CLIMATE', value: '{"a":1,"published_at":"T"}',
      headers: { event_id: 'abc', correlation_id: 'gw-1:7-9', batch_id: 'gw-1:7-9', gateway_id: 'gw-1', kind: 'ScoreUpdate' } });
    const traced = toUplinkRecord({ seq: 8, eventId: 'def', kind: 'ScoreUpdate', topic: 'ucid.processed.scores', key: 'k', payload: '{"a":1,"correlation_id":"gw-1/r42"}', bytes: 20, createdAt: 0 },
      'gw-1', 'gw-1:7-9', 'T');
    expect(traced.headers).toMatchObject({ correlation_id: 'gw-1/r42', batch_id: 'gw-1:7-9' });
    const cp = checkpointRecord('cp', { schema: 'ucid.checkpoint.v1', gateway_id: 'gw-1', transactional_id: 'ucid-gw-gw-1', from_seq: 7, seq: 9, events: 3, correlation_id: 'gw-1:7-9', published_at: 'T' });
    expect(cp.key).toBe('ucid-gw-gw-1');
    expect(JSON.parse(cp.value).seq).toBe(9);
  });
});

describe('sync config', () => {
  it('defaults: off, 256 MiB budget, gzip, backoff 500ms..5m', () => {
    const c = syncSchema.parse({});
    expect(c).toMatchObject({ enabled: false, budget: 256 * 1024 ** 2, compression: 'gzip', retry: { initial: 500, max: 300_000, multiplier: 2 } });
    expect(c.compaction.rollupSteps).toEqual([3_600_000, 21_600_000, 86_400_000]);
  });

  it('lists every problem', () => {
    const r = syncSchema.safeParse({ enabled: true, brokers: [], sasl: { mechanism: 'gssapi' }, budget: '12XB', nope: 1 });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['sasl', 'budget']));
    expect(r.error!.issues.some((i) => i.code === 'unrecognized_keys')).toBe(true);
  });

  it('needs brokers when enabled', () => {
    const r = syncSchema.safeParse({ enabled: true });
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['brokers: at least one broker is needed when sync is enabled']);
  });
});
