import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Store, type ScoreRow, type WindowRow } from '../gateway/store/store.js';
import { GatewayProcess } from './support/gateway-process.js';

// store.resultRetention: a running gateway deletes window results and scores whose window ended longer ago,
// and keeps the rest; without it the database of a 1,000-sensor site grows by ~100 MiB a day for good.
const DAY = 86_400_000;
const dir = mkdtempSync(path.join(tmpdir(), 'ucid-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const windowEnded = (sensorId: string, endMs: number): WindowRow => ({ kind: 'tumbling', sensorId, metric: 'pm25', startMs: endMs - 300_000, endMs,
  revision: 0, count: 3, mean: 12, min: 10, max: 14, last: 12, stddev: 1.6, uncertainCount: 0, badCount: 0, firstTs: endMs - 290_000, lastTs: endMs - 10_000 });
const scoreEnded = (h3Index: string, windowEnd: number): ScoreRow => ({ h3Index, context: 'CLIMATE', windowEnd, windowStart: windowEnd - 300_000, city: 'IST',
  revision: 0, score: 80, grade: 'B', confidence: 0.9, flags: '', ucid: `UCID-V1:IST:${h3Index}`, eventId: `e-${h3Index}-${windowEnd}`, computedAt: windowEnd });

describe('result retention in a running gateway', () => {
  it('deletes window results and scores past store.resultRetention on its interval, and keeps the newer ones', async () => {
    const now = Date.now();
    const seeded = new Store(path.join(dir, 'gateway.db'));
    seeded.transaction(() => {
      for (let i = 0; i < 500; i++) {
        seeded.upsertWindow(windowEnded(`s${i % 20}`, now - 3 * DAY - i * 300_000)); // all older than 2 days
        seeded.upsertWindow(windowEnded(`s${i % 20}`, now - DAY + i * 60_000)); // all newer
        seeded.upsertScore(scoreEnded(`c${i % 10}`, now - 3 * DAY - i * 300_000));
        seeded.upsertScore(scoreEnded(`c${i % 10}`, now - DAY + i * 60_000));
      }
    });
    seeded.close();

    const gateway = await GatewayProcess.start({ store: { resultRetention: '2d', retentionInterval: '200ms' } }, { dir });
    try {
      const line = await gateway.waitForLog((l) => l.msg === 'window results and scores past retention deleted');
      expect(line).toMatchObject({ windows: 500, scores: 500 });
      const left = (sql: string) => gateway.query<{ n: number; oldest: number }>(sql)[0]!;
      expect(left('SELECT count(*) AS n, min(end_ms) AS oldest FROM window_results')).toEqual({ n: 500, oldest: now - DAY });
      expect(left('SELECT count(*) AS n, min(window_end) AS oldest FROM scores')).toEqual({ n: 500, oldest: now - DAY });
      expect(await gateway.stop()).toBe(0);
    } finally {
      await gateway.kill().catch(() => undefined);
    }
  });
});
