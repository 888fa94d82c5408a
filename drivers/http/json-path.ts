import { z } from 'zod';

export type PathSegment = string | number;

const SEGMENT = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[(['"])((?:(?!\3).)*)\3\]/y;

/** `main.temp`, `$.list[0].main.temp`, `data['pm2.5']`: dots, indices and quoted keys. Null when invalid. */
export function compilePath(path: string): PathSegment[] | null {
  let text = path;
  if (text.startsWith('$')) text = text.slice(1);
  else if (text.startsWith('.')) return null;
  const segments: PathSegment[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < text.length) {
    const match = SEGMENT.exec(text);
    if (!match) return null;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(match[4]!);
  }
  return segments;
}

export function getPath(value: unknown, segments: readonly PathSegment[]): unknown {
  let at = value;
  for (const segment of segments) {
    if (at === null || typeof at !== 'object') return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(at)) return undefined;
      at = at[segment];
    } else {
      if (Array.isArray(at) || !Object.hasOwn(at, segment)) return undefined;
      at = (at as Record<string, unknown>)[segment];
    }
  }
  return at;
}

/** A JSON path in the config, checked when the config is loaded. */
export const jsonPath = z.string().min(1).refine((path) => compilePath(path) !== null, 'expected a path such as main.temp, list[0].value or data[\'pm2.5\']');
