import type { Logger } from 'pino';
import { GatewayError } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { SpaceState, StoreSpace } from '../store/space.js';
import { replayStartMs, type WindowSpec } from '../windows/index.js';

/** The pipeline's side of the disk-full policy (docs/pipeline.md "Disk full"): asks, logs and exports the transitions. */
export class SpaceGate {
  constructor(
    private readonly space: StoreSpace,
    private readonly specs: readonly WindowSpec[],
    private readonly metrics: GatewayMetrics,
    private readonly log: Logger,
  ) {}

  /** May readings be written now? Raw readings outside the rebuild horizon may be reclaimed to make room. */
  roomFor(nowMs: number): SpaceState {
    return this.noting(nowMs, () => this.space.check(nowMs, replayStartMs(nowMs, this.specs)));
  }

  /** A commit failed with SQLITE_FULL. */
  onStoreFull(nowMs: number): void {
    this.noting(nowMs, () => this.space.onFull(nowMs, replayStartMs(nowMs, this.specs)));
  }

  exportRoom(nowMs: number): void {
    this.metrics.storeRoom.set(this.space.room(nowMs));
  }

  fullError(): GatewayError {
    return new GatewayError('STORE_FULL', 'less room than store.reserve left for the database; retry later');
  }

  private noting<T>(nowMs: number, act: () => T): T {
    const space = this.space;
    const before = space.state;
    const reclaimedBefore = space.reclaimed;
    const result = act();
    const reclaimed = space.reclaimed - reclaimedBefore;
    if (reclaimed > 0) {
      this.metrics.storeReclaimed.inc(reclaimed);
      this.log.warn({ deleted: reclaimed, roomBytes: space.room(nowMs) }, 'store low on room: oldest raw readings outside the rebuild horizon deleted');
    }
    if (space.state === before) return result;
    this.metrics.storeFull.set(space.state === 'full' ? 1 : 0);
    this.exportRoom(nowMs);
    if (space.state === 'full') {
      this.log.error({ roomBytes: space.room(nowMs), reserveBytes: space.reserveBytes },
        'store full: QoS 0 readings shed, QoS 1 and polled readings refused until there is room; alerts keep the reserve');
    } else {
      this.log.warn({ roomBytes: space.room(nowMs) }, 'store has room again: ingest resumed');
    }
    return result;
  }
}
