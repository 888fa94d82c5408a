export type WindowKind = 'tumbling' | 'sliding' | 'session';

/**
 * One emitted window. Statistics are over readings of quality 'good' and 'uncertain' (count >= 1: a window
 * that only saw 'bad' readings is not emitted); 'bad' ones are only counted in badCount.
 */
export interface WindowResult {
  kind: WindowKind;
  sensorId: string;
  metric: string;
  startMs: number;
  endMs: number;
  /** 0 on first close, +1 on each re-emission caused by a late reading. */
  revision: number;
  count: number;
  mean: number;
  min: number;
  max: number;
  /** Value with the highest event time; ties go to the later arrival. */
  last: number;
  /** Population standard deviation. */
  stddev: number;
  uncertainCount: number;
  badCount: number;
  firstTs: number;
  lastTs: number;
}

export type AddStatus = 'on_time' | 'late_revised' | 'late_dropped';

export interface AddResult {
  status: AddStatus;
  /** Windows of this reading's key closed or revised by this call, in emission order. */
  results: readonly WindowResult[];
}

export interface AddOptions {
  /** The reading is replayed from the store after a restart (see WindowEngineOptions.replayFromMs). */
  replay?: boolean;
  /** Sliding windows are not composed nor emitted by this call (their panes are kept): for a caller that discards them. */
  skipSliding?: boolean;
}

export interface WindowEngineStats {
  keys: number;
  openTumbling: number;
  closedTumbling: number;
  panes: number;
  openSessions: number;
  closedSessions: number;
}

export interface KeyRef {
  readonly sensorId: string;
  readonly metric: string;
}

/** Where a key's windows put what they emit during one engine call. */
export interface Sink {
  readonly results: WindowResult[];
  /** Windows starting before this are built but not emitted (replay: they may be only partly rebuilt). */
  suppressBeforeMs: number;
  skipSliding: boolean;
}
