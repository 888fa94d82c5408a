import type { transit_realtime } from 'gtfs-realtime-bindings';
import { latLngToCell } from 'h3-js';
import type { Reading } from '../../gateway/reading.js';
import { cellSensorId, stopSensorId, type GtfsRtConfig } from './schema.js';

type Uint64 = number | { toNumber(): number } | null | undefined;

const SKIPPED = 1;
const NO_DATA = 2;
const DEDUPE_HORIZON_MS = 3 * 3_600_000;

export interface Interpretation {
  readings: Reading[];
  /** Why entities or stop updates gave no reading, counted. */
  skipped: Record<string, number>;
  /** The feed header's timestamp equals the last one committed: nothing new. */
  unchanged: boolean;
  /** Makes this feed the last one seen; call once its readings are committed, so a failed commit is retried. */
  commit(): void;
}

interface Pending {
  delays: Map<string, number>;
  cells: Map<string, number>;
}

function seconds(value: Uint64): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : value.toNumber();
  return n > 0 ? n * 1000 : null;
}

/** protobufjs puts defaults on the prototype: only own properties were on the wire. */
function present<T extends object>(message: T | null | undefined, field: keyof T & string): boolean {
  return !!message && Object.hasOwn(message, field);
}

/**
 * Turns one decoded feed (GTFS Realtime reference, trip updates and vehicle positions) into readings:
 * a `delay_s` per stop time update that carries a delay, and a `vehicle_count` per H3 cell. State across
 * polls: the last delay time per trip and stop (a trip update that did not change is not stored again),
 * and the cells that had vehicles recently (they get a 0 once the vehicles have left). State changes only
 * when the caller commits the interpretation.
 */
export class FeedInterpreter {
  private readonly stops: Set<string> | null;
  private lastHeaderTs: number | null = null;
  private readonly lastDelayAt = new Map<string, number>();
  private readonly cellLastSeen = new Map<string, number>();

  constructor(private readonly config: GtfsRtConfig) {
    this.stops = config.stopLocations.length ? new Set(config.stopLocations.map((s) => s.id)) : null;
  }

  interpret(feed: transit_realtime.IFeedMessage, receivedAt: number): Interpretation {
    const headerTs = seconds(feed.header.timestamp);
    const pending: Pending = { delays: new Map(), cells: new Map() };
    const result: Interpretation = {
      readings: [], skipped: {}, unchanged: false,
      commit: () => {
        this.lastHeaderTs = headerTs;
        for (const [key, ts] of pending.delays) this.lastDelayAt.set(key, ts);
        for (const [cell, seenAt] of pending.cells) this.cellLastSeen.set(cell, seenAt);
        for (const [cell, seenAt] of this.cellLastSeen) if (receivedAt - seenAt > this.config.zeroFillFor) this.cellLastSeen.delete(cell);
        this.prune(receivedAt);
      },
    };
    if (headerTs !== null && headerTs === this.lastHeaderTs) return { ...result, unchanged: true };
    const skip = (why: string) => {
      result.skipped[why] = (result.skipped[why] ?? 0) + 1;
    };
    const counts = new Map<string, number>();
    let sawVehicles = false;
    for (const entity of feed.entity ?? []) {
      if (entity.isDeleted) continue;
      if (entity.tripUpdate) this.tripUpdate(entity.id, entity.tripUpdate, headerTs ?? receivedAt, receivedAt, result.readings, skip, pending);
      if (entity.vehicle) {
        sawVehicles = true;
        const cell = this.cellOf(entity.vehicle.position);
        if (cell) counts.set(cell, (counts.get(cell) ?? 0) + 1);
        else skip('vehicle_without_position');
      }
    }
    if (sawVehicles) this.vehicleCounts(counts, headerTs ?? receivedAt, receivedAt, result.readings, pending);
    return result;
  }

  private tripUpdate(entityId: string, update: transit_realtime.ITripUpdate, feedTs: number, receivedAt: number, out: Reading[], skip: (why: string) => void, pending: Pending): void {
    const ts = seconds(update.timestamp) ?? feedTs;
    const trip = `${update.trip?.tripId ?? entityId}/${update.trip?.startDate ?? ''}`;
    for (const stu of update.stopTimeUpdate ?? []) {
      if (stu.scheduleRelationship === SKIPPED || stu.scheduleRelationship === NO_DATA) {
        skip('no_data_or_skipped');
        continue;
      }
      const stopId = stu.stopTimeProperties?.assignedStopId || stu.stopId;
      if (!stopId) {
        skip('stop_sequence_only');
        continue;
      }
      if (this.stops && !this.stops.has(stopId)) {
        skip('unknown_stop');
        continue;
      }
      const event = present(stu.arrival, 'delay') ? stu.arrival : present(stu.departure, 'delay') ? stu.departure : null;
      if (!event || typeof event.delay !== 'number') {
        skip('no_delay');
        continue;
      }
      const key = `${trip}|${stopId}`;
      const last = pending.delays.get(key) ?? this.lastDelayAt.get(key);
      if (last !== undefined && ts <= last) continue;
      pending.delays.set(key, ts);
      out.push({ sensorId: stopSensorId(stopId), metric: 'delay_s', value: event.delay, unit: 's', ts, quality: 'good', source: this.config.name, receivedAt });
    }
  }

  private cellOf(position: transit_realtime.IPosition | null | undefined): string | null {
    if (!position) return null;
    const { latitude: lat, longitude: lon } = position;
    if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180 || (lat === 0 && lon === 0)) return null;
    return latLngToCell(lat, lon, this.config.h3Resolution);
  }

  private vehicleCounts(counts: Map<string, number>, ts: number, receivedAt: number, out: Reading[], pending: Pending): void {
    const cells = new Set(counts.keys());
    for (const [cell, seenAt] of this.cellLastSeen) if (receivedAt - seenAt <= this.config.zeroFillFor) cells.add(cell);
    for (const cell of cells) {
      if (counts.has(cell)) pending.cells.set(cell, receivedAt);
      out.push({ sensorId: cellSensorId(cell), metric: 'vehicle_count', value: counts.get(cell) ?? 0, unit: 'count', ts, quality: 'good', source: this.config.name, receivedAt });
    }
  }

  private prune(nowMs: number): void {
    if (this.lastDelayAt.size < 10_000) return;
    for (const [key, ts] of this.lastDelayAt) if (nowMs - ts > DEDUPE_HORIZON_MS) this.lastDelayAt.delete(key);
  }
}
