import fc from 'fast-check';
import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import { describe, expect, it } from 'vitest';
import { FeedInterpreter } from '../../drivers/gtfs-rt/interpret.js';
import { gtfsRtSchema } from '../../drivers/gtfs-rt/schema.js';
import { runs } from './runs.js';

// Issue 8 bad input: GTFS-Realtime bodies. The driver decodes with gtfs-realtime-bindings (a decode error is
// counted and the body skipped); whatever decodes must interpret without a throw into finite readings.
const { FeedMessage } = GtfsRealtimeBindings.transit_realtime;
const config = gtfsRtSchema.parse({
  type: 'gtfs-rt', feeds: ['http://127.0.0.1:1/feed'], city: 'IST',
  stops: [{ id: 'S1', lat: 41.015, lon: 28.979 }, { id: 'S2', lat: 41.03, lon: 29.0 }],
});

let readings = 0;
function interpretBody(body: Uint8Array): void {
  let feed: ReturnType<typeof FeedMessage.decode>;
  try {
    feed = FeedMessage.decode(body);
  } catch {
    return; // the driver's decode error path
  }
  const interpreter = new FeedInterpreter(config);
  const now = Date.UTC(2026, 5, 1, 12);
  for (const at of [now, now + 30_000]) {
    const result = interpreter.interpret(feed, at);
    readings += result.readings.length;
    for (const r of result.readings) {
      expect(Number.isFinite(r.value), JSON.stringify(r)).toBe(true);
      expect(Number.isFinite(r.ts), JSON.stringify(r)).toBe(true);
      expect(r.sensorId.length).toBeGreaterThan(0);
    }
    result.commit();
  }
}

const uint64 = fc.oneof(fc.integer({ min: 0, max: 2_000_000_000 }), fc.constantFrom(0, 1, 4_102_444_800, Number.MAX_SAFE_INTEGER));
const stopTimeUpdate = fc.record({
  stopSequence: fc.nat(1000), stopId: fc.oneof(fc.constantFrom('S1', 'S2', 'nope', ''), fc.string({ maxLength: 6 })),
  arrival: fc.record({ delay: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), time: uint64, uncertainty: fc.integer({ min: -5, max: 5 }) }, { requiredKeys: [] }),
  departure: fc.record({ delay: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), time: uint64 }, { requiredKeys: [] }),
  scheduleRelationship: fc.integer({ min: 0, max: 3 }),
}, { requiredKeys: [] });
const entity = fc.record({
  id: fc.string({ maxLength: 8 }),
  isDeleted: fc.boolean(),
  tripUpdate: fc.record({ trip: fc.record({ tripId: fc.string({ maxLength: 6 }), startDate: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }), timestamp: uint64, delay: fc.integer(), stopTimeUpdate: fc.array(stopTimeUpdate, { maxLength: 5 }) }, { requiredKeys: ['trip'] }),
  vehicle: fc.record({ position: fc.record({ latitude: fc.float(), longitude: fc.float(), speed: fc.float() }, { requiredKeys: ['latitude', 'longitude'] }), timestamp: uint64 }, { requiredKeys: [] }),
}, { requiredKeys: ['id'] });
const feed = fc.record({ header: fc.record({ gtfsRealtimeVersion: fc.constantFrom('2.0', '1.0', ''), timestamp: uint64 }, { requiredKeys: ['gtfsRealtimeVersion'] }), entity: fc.array(entity, { maxLength: 8 }) })
  .map((f) => FeedMessage.encode(FeedMessage.fromObject(f)).finish());

describe('fuzz: GTFS-Realtime bodies', () => {
  it('random bytes: a decode error or a feed that interprets without a throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => interpretBody(bytes)), { numRuns: runs(3_000) });
  });

  it('structurally valid feeds with extreme fields, and those feeds truncated or with bytes flipped', () => {
    fc.assert(fc.property(feed, fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (body, cut, flip, value) => {
      interpretBody(body);
      if (body.length) {
        interpretBody(body.subarray(0, cut % body.length));
        const mutated = Uint8Array.from(body);
        mutated[flip % mutated.length] = value;
        interpretBody(mutated);
      }
    }), { numRuns: runs(1_500) });
    expect(readings).toBeGreaterThan(100); // the generators do reach the delay and vehicle-count paths
  });
});
