import { readFileSync } from 'node:fs';

export interface StopLocation {
  id: string;
  lat: number;
  lon: number;
  name?: string;
}

/** RFC 4180 fields: quotes, doubled quotes inside them, CRLF or LF, an optional UTF-8 BOM. */
export function parseCsv(text: string): string[][] {
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    if (row.length > 1 || row[0] !== '') rows.push(row);
    row = [];
  };
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (input[i + 1] === '"') field += input[++i];
      else quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      endRow();
    } else {
      field += c;
    }
  }
  if (field !== '' || row.length) endRow();
  return rows;
}

/**
 * GTFS `stops.txt` (GTFS Schedule reference): stop_id, stop_lat, stop_lon, optional stop_name and
 * location_type. Stops and stations (location_type 0, 1 or empty) are kept; entrances, generic nodes and
 * boarding areas are not where realtime delays are reported.
 */
export function parseStopsTxt(text: string): StopLocation[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new Error('stops.txt is empty');
  const col = (name: string) => header.findIndex((h) => h.trim() === name);
  const [id, lat, lon, name, type] = ['stop_id', 'stop_lat', 'stop_lon', 'stop_name', 'location_type'].map(col);
  if (id! < 0 || lat! < 0 || lon! < 0) throw new Error('stops.txt needs stop_id, stop_lat and stop_lon columns');
  const stops: StopLocation[] = [];
  for (const row of rows) {
    const locationType = type! >= 0 ? (row[type!] ?? '').trim() : '';
    if (locationType !== '' && locationType !== '0' && locationType !== '1') continue;
    const stop = { id: (row[id!] ?? '').trim(), lat: Number(row[lat!]), lon: Number(row[lon!]) };
    if (!stop.id || row[lat!]?.trim() === '' || !Number.isFinite(stop.lat) || !Number.isFinite(stop.lon)) continue;
    if (Math.abs(stop.lat) > 90 || Math.abs(stop.lon) > 180) continue;
    const stopName = name! >= 0 ? row[name!]?.trim() : undefined;
    stops.push(stopName ? { ...stop, name: stopName } : stop);
  }
  return stops;
}

export function readStopsFile(file: string): StopLocation[] {
  return parseStopsTxt(readFileSync(file, 'utf8'));
}
