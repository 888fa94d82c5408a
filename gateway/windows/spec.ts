export interface SlidingSpec {
  sizeMs: number;
  /** Must divide sizeMs: windows are composed of sizeMs / slideMs panes. */
  slideMs: number;
}

/** Window configuration of one metric (DESIGN §4). All windows are aligned to the Unix epoch (UTC). */
export interface WindowSpec {
  tumblingMs: number;
  sliding: SlidingSpec | null;
  sessionGapMs: number | null;
  /**
   * Sessions never cross an epoch-aligned boundary of this length: a sensor that reports without pause
   * still yields one session per period, and a restart can rebuild every session from a bounded replay.
   * Default 1 h (the UCID TIME field is hourly).
   */
  sessionMaxMs?: number;
  allowedLatenessMs: number;
  /** How long after close (in watermark time) a tumbling or session window may still be revised. */
  revisionHorizonMs: number;
  /** Wall-clock silence after which a key's watermark is advanced by tick() (and by its next reading). */
  idleCloseMs: number;
}

const DEFAULT_SESSION_MAX_MS = 3_600_000;

export const DEFAULT_WINDOW_SPEC: Readonly<Required<WindowSpec>> = Object.freeze({
  tumblingMs: 300_000,
  sliding: Object.freeze({ sizeMs: 900_000, slideMs: 60_000 }),
  sessionGapMs: 1_800_000,
  sessionMaxMs: DEFAULT_SESSION_MAX_MS,
  allowedLatenessMs: 30_000,
  revisionHorizonMs: 3_600_000,
  idleCloseMs: 60_000,
});

function positiveInt(value: number, field: string, metric: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`window spec for '${metric}': ${field} must be a positive integer (ms), got ${value}`);
  }
}

function nonNegativeInt(value: number, field: string, metric: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`window spec for '${metric}': ${field} must be a non-negative integer (ms), got ${value}`);
  }
}

export function validateWindowSpec(spec: WindowSpec, metric: string): void {
  positiveInt(spec.tumblingMs, 'tumblingMs', metric);
  if (spec.sliding !== null) {
    positiveInt(spec.sliding.sizeMs, 'sliding.sizeMs', metric);
    positiveInt(spec.sliding.slideMs, 'sliding.slideMs', metric);
    if (spec.sliding.sizeMs % spec.sliding.slideMs !== 0) {
      throw new RangeError(`window spec for '${metric}': sliding.sizeMs must be a multiple of sliding.slideMs`);
    }
  }
  if (spec.sessionGapMs !== null) positiveInt(spec.sessionGapMs, 'sessionGapMs', metric);
  if (spec.sessionMaxMs !== undefined) positiveInt(spec.sessionMaxMs, 'sessionMaxMs', metric);
  nonNegativeInt(spec.allowedLatenessMs, 'allowedLatenessMs', metric);
  nonNegativeInt(spec.revisionHorizonMs, 'revisionHorizonMs', metric);
  positiveInt(spec.idleCloseMs, 'idleCloseMs', metric);
}

export function sessionMaxMs(spec: WindowSpec): number {
  return spec.sessionMaxMs ?? DEFAULT_SESSION_MAX_MS;
}

/** Longest event-time span one window of this spec can cover. */
export function maxWindowMs(spec: WindowSpec): number {
  return Math.max(spec.tumblingMs, spec.sliding?.sizeMs ?? 0, spec.sessionGapMs === null ? 0 : sessionMaxMs(spec));
}

/**
 * Event time from which stored readings must be replayed after a restart so that every window that can
 * still be emitted or revised is rebuilt whole. Pass the same value as WindowEngineOptions.replayFromMs.
 */
export function replayStartMs(nowMs: number, specs: Iterable<WindowSpec>): number {
  return nowMs - replaySpanMs(specs);
}

/** nowMs - replayStartMs(nowMs, specs): the largest revisionHorizonMs + maxWindowMs + allowedLatenessMs. */
export function replaySpanMs(specs: Iterable<WindowSpec>): number {
  let span = -1;
  for (const s of specs) span = Math.max(span, s.revisionHorizonMs + maxWindowMs(s) + s.allowedLatenessMs);
  return span < 0 ? replaySpanMs([DEFAULT_WINDOW_SPEC]) : span;
}

export function floorTo(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs;
}
