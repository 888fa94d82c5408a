import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json',
};

/** gateway/web beside the sources (vitest) or beside dist/ (the built and the installed package). */
export function webRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const found = [path.resolve(here, '../web'), path.resolve(here, '../../../gateway/web')].find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`dashboard files not found beside ${here}`);
  return found;
}

function load(file: string): StaticFile {
  const body = readFileSync(file);
  return { body, type: TYPES[path.extname(file)] ?? 'application/octet-stream', etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** The page's files, read once into memory (a few hundred KiB); nothing is served from outside this list. */
export function loadStaticFiles(root = webRoot()): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(root)) {
    if (name.startsWith('.') || !TYPES[path.extname(name)]) continue;
    files.set(`/${name}`, load(path.join(root, name)));
  }
  const require = createRequire(import.meta.url);
  files.set('/vendor/uplot.js', load(require.resolve('uplot/dist/uPlot.iife.min.js')));
  files.set('/vendor/uplot.css', load(require.resolve('uplot/dist/uPlot.min.css')));
  return files;
}
