import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';

export const TOKEN_COOKIE = 'ucid_token';
export const TOKEN_FILE = 'lan-token';

export interface LanToken {
  token: string;
  source: 'config' | 'file' | 'generated';
  file?: string;
}

/** The configured token, else `<dataDir>/lan-token`, else a new one written there with mode 0600. */
export function resolveLanToken(configured: string | undefined, dataDir: string): LanToken {
  if (configured) return { token: configured, source: 'config' };
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, source: 'file', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, source: 'generated', file };
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The token a request carries: `?token=`, `Authorization: Bearer`, or the page's cookie. */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const query = url.searchParams.get('token');
  if (query) return query;
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return cookie(req, TOKEN_COOKIE);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export class Authenticator {
  private readonly expected: Buffer | null;

  constructor(token: string | null) {
    this.expected = token ? digest(token) : null;
  }

  get enabled(): boolean {
    return this.expected !== null;
  }

  check(req: IncomingMessage, url: URL): boolean {
    if (!this.expected) return true;
    const given = presentedToken(req, url);
    return given !== undefined && timingSafeEqual(digest(given), this.expected);
  }

  cookieHeader(token: string): string {
    return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${30 * 86_400}`;
  }
}
