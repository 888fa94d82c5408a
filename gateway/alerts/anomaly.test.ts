import { describe, expect, it } from 'vitest';
import { AnomalyDetector } from './anomaly.js';

const options = { alpha: 0.05, zThreshold: 4, warmupSamples: 30, cooldownMs: 0 };
const noisy = (i: number) => 20 + Math.sin(i * 1.7) * 1.5;

describe('anomaly detector', () => {
  it('does not flag a spike during warm-up, flags the same spike after it', () => {
    const detector = new AnomalyDetector(options);
    for (let i = 0; i < 10; i++) detector.observe('k', noisy(i), i);
    expect(detector.observe('k', 80, 10)).toBeNull();
    const fresh = new AnomalyDetector(options);
    for (let i = 0; i < 60; i++) expect(fresh.observe('k', noisy(i), i)).toBeNull();
    const finding = fresh.observe('k', 80, 60);
    expect(finding).not.toBeNull();
    expect(finding!.z).toBeGreaterThan(4);
    expect(finding!.mean).toBeCloseTo(20, 0);
  });

  it('keeps sensors apart and honours the cooldown', () => {
    const detector = new AnomalyDetector({ ...options, cooldownMs: 100 });
    for (let i = 0; i < 60; i++) {
      detector.observe('a', noisy(i), i);
      detector.observe('b', noisy(i) * 10, i);
    }
    expect(detector.observe('a', 80, 60)).not.toBeNull();
    expect(detector.observe('a', 90, 61)).toBeNull();
    expect(detector.observe('b', 200, 61)).toBeNull();
    expect(detector.size).toBe(2);
  });
});
