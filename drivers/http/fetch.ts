import { parseRetryAfter } from './backoff.js';

/** `origin/path` of a URL: what logs and health show, so a key in the query string never leaks. */
export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export interface HttpRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export type HttpOutcome =
  | { kind: 'ok'; status: number; body: Buffer; etag: string | null; lastModified: string | null; contentType: string | null }
  | { kind: 'not-modified' }
  | { kind: 'rate-limited'; status: number; retryAfterMs: number | null }
  | { kind: 'server-error'; status: number; retryAfterMs: number | null }
  | { kind: 'client-error'; status: number }
  | { kind: 'network'; message: string }
  | { kind: 'too-large'; limit: number };

/** One request. Never throws: every failure is an outcome a poller counts and backs off on. */
export async function httpRequest(request: HttpRequest): Promise<HttpOutcome> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  try {
    // redirects are not followed: undici would send an API key header on to whatever host the redirect names
    const res = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal, redirect: 'manual' });
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
    if (res.status === 304) return drained(res, { kind: 'not-modified' });
    if (res.status === 429) return drained(res, { kind: 'rate-limited', status: 429, retryAfterMs });
    if (res.status >= 500) return drained(res, { kind: 'server-error', status: res.status, retryAfterMs });
    if (res.status < 200 || res.status >= 300) return drained(res, { kind: 'client-error', status: res.status });
    const body = await readCapped(res, request.maxBytes);
    if (!body) return { kind: 'too-large', limit: request.maxBytes };
    return {
      kind: 'ok', status: res.status, body,
      etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified'), contentType: res.headers.get('content-type'),
    };
  } catch (err) {
    return { kind: 'network', message: describeFetchError(err) };
  }
}

async function drained<T>(res: Response, outcome: T): Promise<T> {
  await res.body?.cancel().catch(() => undefined);
  return outcome;
}

async function readCapped(res: Response, maxBytes: number): Promise<Buffer | null> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > maxBytes) return drained(res, null);
  if (!res.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** undici's `fetch failed` hides the reason in `cause`; neither carries the URL (which may hold a key). */
function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'request timed out';
    if (err.name === 'AbortError') return 'request aborted';
    const cause = err.cause as { code?: string; message?: string } | undefined;
    return cause ? `${err.message}: ${cause.code ?? cause.message ?? 'unknown cause'}` : err.message;
  }
  return String(err);
}

/** ETag / Last-Modified from the last 200, sent back as If-None-Match / If-Modified-Since (RFC 9110 §13.1). */
export class ConditionalRequest {
  private etag: string | null = null;
  private lastModified: string | null = null;

  headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.etag) headers['if-none-match'] = this.etag;
    if (this.lastModified) headers['if-modified-since'] = this.lastModified;
    return headers;
  }

  update(etag: string | null, lastModified: string | null): void {
    this.etag = etag;
    this.lastModified = lastModified;
  }
}
