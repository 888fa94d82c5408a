import { describe, expect, it } from 'vitest';
import { thresholdRuleSchema } from './schema.js';
import { OK_STATE, evaluateThreshold, type ThresholdState } from './threshold.js';

const rule = (over: Record<string, unknown>) => thresholdRuleSchema.parse({ name: 'r', on: 'metric', context: 'CLIMATE', metric: 'temperature', direction: 'above', ...over });

function run(r: ReturnType<typeof rule>, values: number[]) {
  let state: ThresholdState = { ...OK_STATE };
  const transitions: string[] = [];
  values.forEach((value, i) => {
    const { next, transition } = evaluateThreshold(r, state, value, i * 1000);
    state = next;
    if (transition) transitions.push(`${i}:${transition.state}:${transition.level}`);
  });
  return { transitions, state };
}

describe('threshold state machine', () => {
  it('a value oscillating around the threshold raises once and clears once (hysteresis)', () => {
    const r = rule({ warning: 35, hysteresis: 1 });
    const { transitions } = run(r, [34, 36, 34.5, 35.5, 34.2, 36, 34.5, 33.9, 34.6, 33]);
    expect(transitions).toEqual(['1:raised:warning', '7:cleared:warning']);
  });

  it('debounce by samples: a single spike does not raise', () => {
    const r = rule({ warning: 35, debounce: { samples: 3 } });
    expect(run(r, [36, 30, 36, 36, 30]).transitions).toEqual([]);
    expect(run(r, [36, 36, 36, 30, 30, 30]).transitions).toEqual(['2:raised:warning', '5:cleared:warning']);
  });

  it('debounce by hold time in event time', () => {
    const r = rule({ warning: 35, debounce: { hold: '2s' } });
    expect(run(r, [36, 36, 36, 36]).transitions).toEqual(['2:raised:warning']);
  });

  it('escalates warning → critical and clears from critical without stepping back', () => {
    const r = thresholdRuleSchema.parse({ name: 't', on: 'score', context: 'TRANSIT', direction: 'below', warning: 40, critical: 20, hysteresis: 5 });
    const { transitions } = run(r, [50, 38, 30, 19, 25, 39, 44, 46]);
    expect(transitions).toEqual(['1:raised:warning', '3:escalated:critical', '7:cleared:critical']);
  });

  it('raises straight at critical when the first crossing is past it', () => {
    const r = thresholdRuleSchema.parse({ name: 't', on: 'score', context: 'TRANSIT', direction: 'below', warning: 40, critical: 20 });
    expect(run(r, [50, 10, 50]).transitions).toEqual(['1:raised:critical', '2:cleared:critical']);
  });

  it('validates rules with readable messages', () => {
    const bad = thresholdRuleSchema.safeParse({ name: 'x', on: 'score', context: 'TRANSIT', direction: 'below', warning: 20, critical: 40, metric: 'pm25' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'metric: a score rule watches its context score, not a metric',
      'critical: critical must be below warning',
    ]);
  });
});
