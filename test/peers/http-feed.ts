import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
  status: number;
}

/** What the next request gets instead of the current body: a status with headers, or a raw body. */
export type Scripted = { status: number; headers?: Record<string, string>; body?: Buffer | string };

/**
 * A local HTTP server for pollers: serves `body` with an ETag and Last-Modified, answers 304 to a matching
 * If-None-Match, and plays `script` entries (errors, garbage) first, one per request.
 */
export class FeedServer {
  readonly requests: RecordedRequest[] = [];
  readonly script: Scripted[] = [];
  private body: Buffer = Buffer.alloc(0);
  private etag = '';
  private version = 0;
  private readonly server = http.createServer((req, res) => this.answer(req, res));
  private waiters = new Set<() => void>();

  constructor(private readonly contentType: string) {}

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  setBody(body: Buffer | string): void {
    this.body = Buffer.from(body);
    this.etag = `"v${++this.version}"`;
  }

  /** Resolves once `count` requests matching `filter` have been answered. */
  waitForRequests(count: number, filter: (r: RecordedRequest) => boolean = () => true, timeoutMs = 15_000): Promise<RecordedRequest[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const matching = this.requests.filter(filter);
        if (matching.length < count) return false;
        this.waiters.delete(check as () => void);
        clearTimeout(timer);
        resolve(matching);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check as () => void);
        reject(new Error(`timed out waiting for ${count} requests; saw ${this.requests.map((r) => r.status).join(',')}`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check as () => void);
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const scripted = this.script.shift();
    let status: number;
    if (scripted) {
      status = scripted.status;
      res.writeHead(status, { 'content-type': this.contentType, ...scripted.headers });
      res.end(scripted.body ?? '');
    } else if (req.headers['if-none-match'] === this.etag) {
      status = 304;
      res.writeHead(304, { etag: this.etag });
      res.end();
    } else {
      status = 200;
      res.writeHead(200, { 'content-type': this.contentType, etag: this.etag, 'last-modified': new Date().toUTCString() });
      res.end(this.body);
    }
    this.requests.push({ url: req.url ?? '', headers: req.headers, status });
    for (const waiter of [...this.waiters]) waiter();
  }
}
