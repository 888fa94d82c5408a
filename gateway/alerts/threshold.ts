import type { ThresholdRule } from './schema.js';

export type AlertLevel = 'warning' | 'critical';
type Target = AlertLevel | 'ok';

/** Per-key state of one threshold rule; `level` null means ok. */
export interface ThresholdState {
  level: AlertLevel | null;
  since: number | null;
  pendingTarget: Target | null;
  pendingCount: number;
  pendingSince: number | null;
}

export interface ThresholdTransition {
  state: 'raised' | 'escalated' | 'cleared';
  level: AlertLevel;
  threshold: number;
}

export const OK_STATE: Readonly<ThresholdState> = Object.freeze({ level: null, since: null, pendingTarget: null, pendingCount: 0, pendingSince: null });

const beyond = (rule: ThresholdRule, value: number, threshold: number) => (rule.direction === 'above' ? value > threshold : value < threshold);
const recovered = (rule: ThresholdRule, value: number, threshold: number) =>
  rule.direction === 'above' ? value < threshold - rule.hysteresis : value > threshold + rule.hysteresis;

/** The first threshold crossed on the way out: warning when set, else critical. */
const entryThreshold = (rule: ThresholdRule) => (rule.warning ?? rule.critical)!;

/**
 * Where the value wants the alert to be. Hysteresis: an active alert clears only once the value is past
 * its entry threshold by `hysteresis`; a critical alert does not step back to warning (it clears).
 */
function target(rule: ThresholdRule, current: AlertLevel | null, value: number): Target {
  const critical = rule.critical !== undefined && beyond(rule, value, rule.critical);
  const warning = rule.warning !== undefined && beyond(rule, value, rule.warning);
  if (critical) return 'critical';
  if (current === null) return warning ? 'warning' : 'ok';
  return recovered(rule, value, entryThreshold(rule)) ? 'ok' : current;
}

/** One sample through the per-key state machine ok → raised → escalated → cleared, with debounce. */
export function evaluateThreshold(rule: ThresholdRule, state: ThresholdState, value: number, ts: number): { next: ThresholdState; transition: ThresholdTransition | null } {
  const wanted = target(rule, state.level, value);
  if (wanted === (state.level ?? 'ok')) {
    const unchanged = state.pendingTarget === null;
    return { next: unchanged ? state : { ...state, pendingTarget: null, pendingCount: 0, pendingSince: null }, transition: null };
  }
  const continuing = state.pendingTarget === wanted;
  const pendingCount = continuing ? state.pendingCount + 1 : 1;
  const pendingSince = continuing ? state.pendingSince! : ts;
  if (pendingCount < rule.debounce.samples || ts - pendingSince < rule.debounce.hold) {
    return { next: { ...state, pendingTarget: wanted, pendingCount, pendingSince }, transition: null };
  }
  if (wanted === 'ok') {
    return { next: { ...OK_STATE }, transition: { state: 'cleared', level: state.level!, threshold: entryThreshold(rule) } };
  }
  const transition: ThresholdTransition = {
    state: state.level === null ? 'raised' : 'escalated', level: wanted, threshold: (wanted === 'critical' ? rule.critical : rule.warning)!,
  };
  return { next: { level: wanted, since: ts, pendingTarget: null, pendingCount: 0, pendingSince: null }, transition };
}
