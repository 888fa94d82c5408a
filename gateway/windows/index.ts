export { WindowEngine, type WindowEngineOptions } from './engine.js';
export { SnapshotRejected, decodeSnapshot, encodeSnapshot } from './snapshot.js';
export {
  DEFAULT_WINDOW_SPEC,
  maxWindowMs,
  replaySpanMs,
  replayStartMs,
  validateWindowSpec,
  type SlidingSpec,
  type WindowSpec,
} from './spec.js';
export type { AddOptions, AddResult, AddStatus, WindowEngineStats, WindowKind, WindowResult } from './types.js';
