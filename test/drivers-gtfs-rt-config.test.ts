import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cellToLatLng, latLngToCell } from 'h3-js';
import { afterAll, describe, expect, it } from 'vitest';
import { gtfsRtSchema, gtfsRtSensors } from '../drivers/gtfs-rt/schema.js';
import { parseStopsTxt } from '../drivers/gtfs-rt/stops.js';
import { ConfigInvalidError } from '../gateway/errors.js';
import { resolveConfig } from '../gateway/config/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ucid-gtfs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STOPS_TXT = '\ufeffstop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\r\n'
  + 'ST1,"Taksim, Meydan ""A""",41.0369,28.9850,1,\r\n'
  + 'P1,Taksim Peron 1,41.0370,28.9851,0,ST1\r\n'
  + 'E1,Taksim entrance,41.0371,28.9852,2,ST1\r\n'
  + 'P2,No type column value,41.0100,28.9700,,\r\n'
  + 'BAD,Missing coordinates,,,0,\r\n';

describe('GTFS-RT config', () => {
  it('parses stops.txt: quoted fields, BOM, CRLF; keeps stops and stations, not entrances', () => {
    expect(parseStopsTxt(STOPS_TXT)).toEqual([
      { id: 'ST1', lat: 41.0369, lon: 28.985, name: 'Taksim, Meydan "A"' },
      { id: 'P1', lat: 41.037, lon: 28.9851, name: 'Taksim Peron 1' },
      { id: 'P2', lat: 41.01, lon: 28.97, name: 'No type column value' },
    ]);
  });

  it('declares every stop and every cell holding one as sensors in the registry', () => {
    const file = path.join(dir, 'stops.txt');
    writeFileSync(file, STOPS_TXT);
    const config = resolveConfig({
      gateway: { dataDir: dir },
      drivers: [{ type: 'gtfs-rt', name: 'metro', feeds: ['https://api.transit.city/gtfs-rt/trip-updates'], stopsFile: file, stops: [{ id: 'X9', lat: 41.1, lon: 29.1 }] }],
    });
    const cell = latLngToCell(41.037, 28.9851, 9);
    expect(config.registry.get('stop.P1')).toMatchObject({ lat: 41.037, lon: 28.9851, city: 'IST', name: 'Taksim Peron 1' });
    expect(config.registry.get('stop.X9')).toMatchObject({ lat: 41.1, lon: 29.1 });
    const [lat, lon] = cellToLatLng(cell);
    expect(config.registry.get(`cell.${cell}`)).toMatchObject({ lat, lon });
    const driver = config.drivers[0]!;
    expect(driver.type === 'gtfs-rt' && gtfsRtSensors(driver).filter((s) => s.id.startsWith('stop.'))).toHaveLength(4);
  });

  it('rejects an interval over the feed rate limit and a stops file it cannot read', () => {
    const tooFast = gtfsRtSchema.safeParse({ type: 'gtfs-rt', feeds: ['https://a.example/tu'], interval: '500ms' });
    expect(tooFast.error?.issues[0]).toMatchObject({ path: ['interval'], message: expect.stringContaining('rate limit of 60/min: use at least 1000 ms') });
    const twoFeeds = gtfsRtSchema.safeParse({ type: 'gtfs-rt', feeds: ['https://a.example/tu', 'https://a.example/vp'], interval: '1s' });
    expect(twoFeeds.error?.issues[0]?.path).toEqual(['interval']);
    expect(gtfsRtSchema.safeParse({ type: 'gtfs-rt', feeds: ['https://a.example/tu', 'https://a.example/vp'], interval: '2s' }).success).toBe(true);

    const missing = () => resolveConfig({ drivers: [{ type: 'gtfs-rt', feeds: ['https://a.example/tu'], stopsFile: path.join(dir, 'nope.txt') }] });
    expect(missing).toThrow(ConfigInvalidError);
    try {
      missing();
    } catch (err) {
      expect((err as ConfigInvalidError).problems).toEqual([expect.stringMatching(/^drivers\.0\.stopsFile: cannot use .*nope\.txt: ENOENT/)]);
    }
  });
});
