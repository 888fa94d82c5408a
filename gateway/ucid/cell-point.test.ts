import fc from 'fast-check';
import { cellToBoundary, cellToChildren, cellToLatLng, getPentagons, getRes0Cells, getResolution, latLngToCell } from 'h3-js';
import { describe, expect, it } from 'vitest';
import { formatMillidegrees, requireUcidPoint, seedUcidPoints, ucidCellFor, ucidPointForCell } from './cell-point.js';

/** Independent check for tests: scans every 0.001° grid point of the cell's bounding box (small cells only). */
function hasNoGridPoint(cell: string): boolean {
  const res = getResolution(cell);
  const boundary = cellToBoundary(cell);
  const lats = boundary.map(([lat]) => lat);
  const lons = boundary.map(([, lon]) => lon);
  if (Math.max(...lons) - Math.min(...lons) > 180) throw new Error('test helper does not handle cells across the antimeridian');
  for (let latMilli = Math.floor(Math.min(...lats) * 1000) - 1; latMilli <= Math.ceil(Math.max(...lats) * 1000) + 1; latMilli++) {
    for (let lonMilli = Math.floor(Math.min(...lons) * 1000) - 1; lonMilli <= Math.ceil(Math.max(...lons) * 1000) + 1; lonMilli++) {
      if (latLngToCell(latMilli / 1000, lonMilli / 1000, res) === cell) return false;
    }
  }
  return true;
}

function holdsItsPoint(cell: string): boolean {
  const point = ucidPointForCell(cell);
  return point !== null && latLngToCell(Number(point.latText), Number(point.lonText), point.h3Res) === cell;
}

describe('formatMillidegrees', () => {
  it.each([
    [41015, '+41.015'], [-33868, '-33.868'], [0, '+0.000'], [-0, '+0.000'], [-500, '-0.500'], [180000, '+180.000'], [7, '+0.007'],
  ])('%d → %s', (milli, text) => {
    expect(formatMillidegrees(milli)).toBe(text);
  });
});

describe('ucidCellFor', () => {
  it('keeps the rounded point when it stays in the cell', () => {
    expect(ucidCellFor(41.01512, 28.97898, 9)).toEqual({
      h3Index: '891ec90243bffff', h3Res: 9, lat: 41.015, lon: 28.979, latText: '+41.015', lonText: '+28.979',
    });
  });

  it('falls back to the cell point when rounding would leave the cell', () => {
    expect(ucidCellFor(41.358593, 29.869386, 9)).toMatchObject({ h3Index: '892d264321bffff', latText: '+41.357', lonText: '+29.870' });
  });

  it('handles cells on the antimeridian and at the poles', () => {
    for (const [lat, lon] of [[0.0004, 179.9999], [0.0004, -179.9999], [89.99999, 12], [-90, 0]] as const) {
      const cell = ucidCellFor(lat, lon, 9);
      expect(latLngToCell(Number(cell.latText), Number(cell.lonText), 9)).toBe(cell.h3Index);
    }
  });
});

describe('seedUcidPoints', () => {
  it('answers a seeded cell with the seeded point and resolution, as computed elsewhere', () => {
    const cell = latLngToCell(38.4237, 27.1428, 7);
    const computed = ucidPointForCell(cell)!;
    const elsewhere = { ...computed, h3Index: latLngToCell(-33.8688, 151.2093, 7) };
    seedUcidPoints([elsewhere]);
    expect(ucidPointForCell(elsewhere.h3Index)).toEqual(elsewhere);
    expect(requireUcidPoint(elsewhere.h3Index).h3Res).toBe(7);
  });
});

describe('ucidPointForCell', () => {
  it('starts from the rounded cell centre', () => {
    const [lat, lon] = cellToLatLng('891ec90243bffff');
    expect(ucidPointForCell('891ec90243bffff')).toMatchObject({ lat: Math.round(lat * 1000) / 1000, lon: Math.round(lon * 1000) / 1000 });
  });

  it('spirals out when the rounded centre lies outside the cell', () => {
    // Centre (3.08951, 37.31658) rounds to (3.090, 37.317), which is in a neighbouring cell.
    expect(latLngToCell(3.09, 37.317, 10)).not.toBe('8a7a58133877fff');
    expect(ucidPointForCell('8a7a58133877fff')).toMatchObject({ latText: '+3.089', lonText: '+37.317' });
  });

  it('returns null for a cell with no 0.001° grid point, and requireUcidPoint says why', () => {
    expect(hasNoGridPoint('8a7a455a0367fff')).toBe(true);
    expect(ucidPointForCell('8a7a455a0367fff')).toBeNull();
    expect(() => requireUcidPoint('8a7a455a0367fff')).toThrow(/no point with 3-decimal lat\/lon lies inside H3 cell 8a7a455a0367fff \(resolution 10\)/);
  });

  it('finds a point exactly when a brute-force scan of the bounding box does (resolutions 9–11)', () => {
    const cellNearEquator = fc
      .record({ lat: fc.double({ min: -20, max: 20, noNaN: true }), lon: fc.double({ min: -170, max: 170, noNaN: true }), res: fc.integer({ min: 9, max: 11 }) })
      .map(({ lat, lon, res }) => latLngToCell(lat, lon, res));
    fc.assert(
      fc.property(cellNearEquator, (cell) => {
        expect(ucidPointForCell(cell) === null).toBe(hasNoGridPoint(cell));
        if (ucidPointForCell(cell)) expect(holdsItsPoint(cell)).toBe(true);
      }),
      { numRuns: 1_500 },
    );
  });

  it('gives the same answer from its memo', () => {
    expect(ucidPointForCell('8a7a58133877fff')).toEqual(ucidPointForCell('8a7a58133877fff'));
  });

  it('rejects what is not a cell', () => {
    expect(() => ucidPointForCell('891f2ed6df7ffff')).toThrow(expect.objectContaining({ field: 'H3_INDEX', code: 'INVALID_CELL' }));
  });

  it('finds a point for every resolution 0–2 cell and every pentagon up to resolution 9', () => {
    const cells = getRes0Cells().flatMap((cell) => [cell, ...cellToChildren(cell, 1), ...cellToChildren(cell, 2)]);
    for (let res = 0; res <= 9; res++) cells.push(...getPentagons(res));
    expect(cells.filter((cell) => !holdsItsPoint(cell))).toEqual([]);
  });
});
