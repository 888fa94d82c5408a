/** Streaming EWMA mean/variance per sensor metric; a z-score past the threshold flags a reading (DESIGN §5 AnomalyDetected). */
export interface AnomalyOptions {
  alpha: number;
  zThreshold: number;
  warmupSamples: number;
  cooldownMs: number;
}

interface Moments {
  n: number;
  mean: number;
  variance: number;
  lastFlagTs: number;
}

export interface AnomalyFinding {
  mean: number;
  stddev: number;
  z: number;
}

export class AnomalyDetector {
  private readonly moments = new Map<string, Moments>();

  constructor(private readonly options: AnomalyOptions) {}

  /** Scores the value against what came before, then learns from it; a flagged reading is not suppressed. */
  observe(key: string, value: number, ts: number): AnomalyFinding | null {
    let m = this.moments.get(key);
    if (!m) {
      m = { n: 0, mean: value, variance: 0, lastFlagTs: -Infinity };
      this.moments.set(key, m);
    }
    let finding: AnomalyFinding | null = null;
    if (m.n >= this.options.warmupSamples && m.variance > 0) {
      const stddev = Math.sqrt(m.variance);
      const z = Math.abs(value - m.mean) / stddev;
      if (z > this.options.zThreshold && ts - m.lastFlagTs >= this.options.cooldownMs) {
        finding = { mean: m.mean, stddev, z };
        m.lastFlagTs = ts;
      }
    }
    m.n++;
    // During warm-up a plain running mean/variance, then exponential forgetting.
    const alpha = Math.max(this.options.alpha, 1 / m.n);
    const diff = value - m.mean;
    const increment = alpha * diff;
    m.mean += increment;
    m.variance = (1 - alpha) * (m.variance + diff * increment);
    return finding;
  }

  get size(): number {
    return this.moments.size;
  }
}
