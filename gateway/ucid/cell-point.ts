import { loadH3 } from './h3.js';
import { UcidEncodeError } from './errors.js';

/** A cell and the 3-decimal point UCID-V1 writes for it: latLngToCell(lat, lon, h3Res) === h3Index. */
export interface UcidCell {
  h3Index: string;
  h3Res: number;
  lat: number;
  lon: number;
  /** LAT and LON exactly as written: explicit sign, 3 decimals. */
  latText: string;
  lonText: string;
}

interface GridPoint {
  latMilli: number;
  lonMilli: number;
}

/** A cell's point, or null when UCID-V1 cannot name the cell; with its resolution, so a cached cell needs no h3. */
type CachedPoint = (GridPoint & { res: number }) | null;

const POINT_CACHE_MAX_CELLS = 20_000;
/** Bounds the search for cells that span a huge longitude range near a pole. */
const SEARCH_MAX_CANDIDATES = 200_000;
const pointCache = new Map<string, CachedPoint>();

/** A coordinate in thousandths of a degree as UCID-V1 text: `+41.015`, `-0.500`, `+0.000`. */
export function formatMillidegrees(milli: number): string {
  const sign = milli < 0 ? '-' : '+';
  const abs = Math.abs(milli);
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
}

function isInside(cell: string, res: number, latMilli: number, lonMilli: number): boolean {
  return loadH3().latLngToCell(latMilli / 1000, lonMilli / 1000, res) === cell;
}

function wrapLonMilli(lonMilli: number): number {
  if (lonMilli > 180_000) return lonMilli - 360_000;
  if (lonMilli < -180_000) return lonMilli + 360_000;
  return lonMilli;
}

function wrapDegrees180(degrees: number): number {
  return ((((degrees + 180) % 360) + 360) % 360) - 180;
}

/**
 * DESIGN §3: the written point must lie inside the cell. Start at the cell centre rounded to 0.001° and
 * spiral out ring by ring (grid rings around it, nearest first within a ring) over the cell's bounding box.
 * Returns null when no 0.001° grid point lies in the cell (some cells at res 10, most at res ≥ 11).
 */
function searchGridPoint(cell: string): GridPoint | null {
  const { cellToBoundary, cellToLatLng, getResolution } = loadH3();
  const res = getResolution(cell);
  const [centreLat, centreLon] = cellToLatLng(cell);
  const latMilli0 = Math.round(centreLat * 1000);
  const lonMilli0 = Math.round(centreLon * 1000);
  if (isInside(cell, res, latMilli0, lonMilli0)) return { latMilli: latMilli0, lonMilli: lonMilli0 };

  let [iMin, iMax, jMin, jMax] = [0, 0, 0, 0];
  for (const [lat, lon] of cellToBoundary(cell)) {
    const di = lat * 1000 - latMilli0;
    const dj = wrapDegrees180(lon - lonMilli0 / 1000) * 1000;
    [iMin, iMax] = [Math.min(iMin, Math.floor(di)), Math.max(iMax, Math.ceil(di))];
    [jMin, jMax] = [Math.min(jMin, Math.floor(dj)), Math.max(jMax, Math.ceil(dj))];
  }
  const maxRing = Math.max(-iMin, iMax, -jMin, jMax);
  const lonScale = Math.cos((centreLat * Math.PI) / 180);
  const distanceSquared = (i: number, j: number): number => {
    const dLat = (latMilli0 + i) / 1000 - centreLat;
    const dLon = wrapDegrees180((lonMilli0 + j) / 1000 - centreLon) * lonScale;
    return dLat * dLat + dLon * dLon;
  };

  let tried = 0;
  for (let ring = 1; ring <= maxRing && tried < SEARCH_MAX_CANDIDATES; ring++) {
    const candidates: Array<[number, number]> = [];
    for (let i = Math.max(-ring, iMin); i <= Math.min(ring, iMax); i++) {
      if (Math.abs(i) === ring) {
        for (let j = Math.max(-ring, jMin); j <= Math.min(ring, jMax); j++) candidates.push([i, j]);
      } else {
        if (-ring >= jMin) candidates.push([i, -ring]);
        if (ring <= jMax) candidates.push([i, ring]);
      }
    }
    candidates.sort((a, b) => distanceSquared(a[0], a[1]) - distanceSquared(b[0], b[1]));
    for (const [i, j] of candidates) {
      tried++;
      const latMilli = latMilli0 + i;
      if (Math.abs(latMilli) > 90_000) continue;
      const lonMilli = wrapLonMilli(lonMilli0 + j);
      if (isInside(cell, res, latMilli, lonMilli)) return { latMilli, lonMilli };
    }
  }
  return null;
}

function toUcidCell(cell: string, point: GridPoint, res: number): UcidCell {
  return {
    h3Index: cell,
    h3Res: res,
    lat: point.latMilli / 1000,
    lon: point.lonMilli / 1000,
    latText: formatMillidegrees(point.latMilli),
    lonText: formatMillidegrees(point.lonMilli),
  };
}

/** The UCID point of a cell, or null when no 3-decimal point lies inside it. Memoised per cell. */
export function ucidPointForCell(cell: string): UcidCell | null {
  let point = pointCache.get(cell);
  if (point === undefined) {
    const { getResolution, isValidCell } = loadH3();
    if (!isValidCell(cell)) throw new UcidEncodeError('H3_INDEX', 'INVALID_CELL', `'${cell}' is not a valid H3 cell`);
    const found = searchGridPoint(cell);
    point = found && { ...found, res: getResolution(cell) };
    if (pointCache.size >= POINT_CACHE_MAX_CELLS) pointCache.delete(pointCache.keys().next().value as string);
    pointCache.set(cell, point);
  }
  return point ? toUcidCell(cell, point, point.res) : null;
}

/** Points computed elsewhere (the config loader's worker, by ucidPointForCell): later lookups of these cells need no h3. */
export function seedUcidPoints(points: Iterable<UcidCell>): void {
  for (const p of points) {
    if (pointCache.size >= POINT_CACHE_MAX_CELLS) break;
    pointCache.set(p.h3Index, { latMilli: Math.round(p.lat * 1000), lonMilli: Math.round(p.lon * 1000), res: p.h3Res });
  }
}

/** Like ucidPointForCell, but throws a UcidEncodeError naming the cell when UCID-V1 cannot represent it. */
export function requireUcidPoint(cell: string): UcidCell {
  const point = ucidPointForCell(cell);
  if (point) return point;
  const res = loadH3().getResolution(cell);
  throw new UcidEncodeError(
    'H3_INDEX', 'NO_GRID_POINT_IN_CELL',
    `no point with 3-decimal lat/lon lies inside H3 cell ${cell} (resolution ${res}), so no strictly valid UCID-V1 ` +
      `string can name it; use resolution ${Math.min(res - 1, 9)} or coarser`,
  );
}

/**
 * The cell holding (lat, lon) at `res`, with the 3-decimal point UCID-V1 writes for it: (lat, lon) rounded
 * when that still lies in the cell, else the cell's own point (centre rounded, or the spiral search result).
 */
export function ucidCellFor(lat: number, lon: number, res: number): UcidCell {
  if (!Number.isFinite(lat) || Math.abs(lat) > 90) throw new UcidEncodeError('LAT', 'OUT_OF_RANGE', `latitude ${lat} is not within -90..90`);
  if (!Number.isFinite(lon) || Math.abs(lon) > 180) throw new UcidEncodeError('LON', 'OUT_OF_RANGE', `longitude ${lon} is not within -180..180`);
  if (!Number.isInteger(res) || res < 0 || res > 15) throw new UcidEncodeError('H3_RES', 'OUT_OF_RANGE', `resolution ${res} is not an integer 0–15`);
  const cell = loadH3().latLngToCell(lat, lon, res);
  const rounded = { latMilli: Math.round(lat * 1000), lonMilli: Math.round(lon * 1000) };
  if (isInside(cell, res, rounded.latMilli, rounded.lonMilli)) return toUcidCell(cell, rounded, res);
  return requireUcidPoint(cell);
}
