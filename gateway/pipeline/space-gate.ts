import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SpaceState, StoreSpace } from '../store/space.js';
import { replaySpanMs, type WindowSpec } from '../windows/index.js';

/** The pipeline's side of the disk-full policy (docs/pipeline.md "Disk full"): asks, logs and exports the transitions. */
export class SpaceGate {
  /** nowMs minus this: the oldest arrival a rebuild replays, which reclaiming leaves alone. */
  private readonly replaySpanMs: number;

  constructor(
    private readonly space: StoreSpace,
    specs: readonly WindowSpec[],
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {
    this.replaySpanMs = replaySpanMs(specs);
  }

  /** May readings be written now? Raw readings outside the rebuild horizon may be reclaimed to make room. */
  roomFor(nowMs: number): SpaceState {
    const before = this.space.state;
    const reclaimedBefore = this.space.reclaimed;
    const state = this.space.check(nowMs, nowMs - this.replaySpanMs);
    this.noteChange(nowMs, before, reclaimedBefore);
    return state;
  }

  /** A commit failed with SQLITE_FULL. */
  onStoreFull(nowMs: number): void {
    const before = this.space.state;
    const reclaimedBefore = this.space.reclaimed;
    this.space.onFull(nowMs, nowMs - this.replaySpanMs);
    this.noteChange(nowMs, before, reclaimedBefore);
  }

  exportRoom(nowMs: number): void {
    this.metrics.storeRoom.set(this.space.room(nowMs));
  }

  fullError(): GatewayError {
    return new GatewayError('STORE_FULL', 'less room than store.reserve left for the database; retry later');
  }

  /** Asked on every ingest call: no closure and no pass over the specs each time. */
  private noteChange(nowMs: number, before: SpaceState, reclaimedBefore: number): void {
    const space = this.space;
    const reclaimed = space.reclaimed - reclaimedBefore;
    if (reclaimed > 0) {
      this.metrics.storeReclaimed.inc(reclaimed);
      this.log.warn({ deleted: reclaimed, roomBytes: space.room(nowMs) }, 'store low on room: oldest raw readings outside the rebuild horizon deleted');
    }
    if (space.state === before) return;
    this.metrics.storeFull.set(space.state === 'full' ? 1 : 0);
    this.exportRoom(nowMs);
    if (space.state === 'full') {
      this.log.error({ roomBytes: space.room(nowMs), reserveBytes: space.reserveBytes },
        'store full: QoS 0 readings shed, QoS 1 and polled readings refused until there is room; alerts keep the reserve');
    } else {
      this.log.warn({ roomBytes: space.room(nowMs) }, 'store has room again: ingest resumed');
    }
  }
}
