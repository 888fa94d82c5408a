export type WindowKind = 'tumbling' | 'sliding' | 'session';

/**
 * One emitted window. Value statistics are over readings of quality 'good' and 'uncertain'; they are null
 * when the window only saw 'bad' readings (count 0).
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
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Value with the highest event time; ties go to the later arrival. */
  last: number | null;
  /** Population standard deviation. */
  stddev: number | null;
  uncertainCount: number;
  badCount: number;
  firstTs: number | null;
  lastTs: number | null;
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
