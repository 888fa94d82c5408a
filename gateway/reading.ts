export type Quality = 'good' | 'uncertain' | 'bad';

/** What every driver emits (DESIGN §3). Times are epoch milliseconds. */
export interface Reading {
  sensorId: string;
  metric: string;
  value: number;
  unit: string;
  /** Event time, ms. Arrival time when the device sent none (then `tsFromArrival` is true). */
  ts: number;
  tsFromArrival?: boolean;
  quality: Quality;
  /** Driver instance name. */
  source: string;
  receivedAt: number;
}
