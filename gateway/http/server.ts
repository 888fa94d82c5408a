import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { GatewayBus } from '../bus.js';
import type { GatewayConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { handleApi, type Reply } from './api.js';
import { Authenticator, resolveLanToken } from './auth.js';
import { loadStaticFiles, type StaticFile } from './static.js';
import type { AlertSource, StatusSnapshot } from './status.js';
import { WsHub, type HubOptions } from './ws-hub.js';

export interface HttpDeps {
  config: GatewayConfig['http'];
  dataDir: string;
  defaultCity: string;
  bus: GatewayBus;
  store: Store;
  metrics: GatewayMetrics;
  log: Logger;
  cityOf(sensorId: string): string;
  status(): Omit<StatusSnapshot, 'websocketClients'>;
  alertSource(): AlertSource | null;
  ready(): boolean;
  /** Tests only: smaller slow-client bounds. */
  limits?: HubOptions['limits'];
}

const WS_PATH = /^\/ws\/ucid\/([A-Za-z]{3})\/?$/;
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/** The LAN HTTP server (DESIGN §7, docs/dashboard.md): page, WebSocket API, JSON API, metrics, probes. */
export class HttpServer {
  readonly hub: WsHub;
  private readonly auth: Authenticator;
  private readonly files: Map<string, StaticFile>;

  private constructor(private readonly deps: HttpDeps, private readonly server: Server, token: string | null) {
    this.auth = new Authenticator(token);
    this.files = loadStaticFiles();
    this.hub = new WsHub({
      bus: deps.bus, store: deps.store, metrics: deps.metrics, log: deps.log, cityOf: deps.cityOf, status: deps.status,
      alertSource: deps.alertSource, readingThrottleMs: deps.config.readingThrottle, statusIntervalMs: deps.config.statusInterval,
      limits: deps.limits,
    });
    server.on('request', (req, res) => {
      this.route(req, res).catch((err: unknown) => {
        deps.log.error({ err: errorMessage(err), url: req.url }, 'http request failed');
        if (!res.headersSent) this.json(res, { status: 500, body: { error: 'internal', message: 'internal error' } });
        else res.destroy();
      });
    });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
  }

  static async start(deps: HttpDeps): Promise<HttpServer> {
    const { config, log } = deps;
    const lan = config.auth ? resolveLanToken(config.token, deps.dataDir) : null;
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 });
    server.maxConnections = 1_024;
    const http = new HttpServer(deps, server, lan?.token ?? null);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => log.error({ err }, 'http listener error'));
    const port = http.port;
    if (!lan) log.warn({ port }, 'http.auth is false: anyone who can reach this port can read the dashboard and API');
    else if (lan.source === 'generated') {
      log.info({ tokenFile: lan.file, dashboard: `http://${hostname()}:${port}/?token=${lan.token}` }, 'LAN token generated (shown once); open the dashboard with this link');
    } else log.info({ tokenFile: lan.file ?? null, tokenFrom: lan.source }, 'dashboard needs the LAN token');
    log.info({ host: config.host, port }, 'http listening');
    return http;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.deps.config.port;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = url.pathname;
    if (path === '/healthz') return this.json(res, { status: 200, body: { status: 'ok' } });
    if (path === '/readyz') {
      const ready = this.deps.ready();
      return this.json(res, { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'starting' } });
    }
    if (path === '/metrics') {
      const registry = this.deps.metrics.registry;
      res.writeHead(200, { 'content-type': registry.contentType });
      return void res.end(await registry.metrics());
    }
    if (!path.startsWith('/api/') && req.method !== 'GET' && req.method !== 'HEAD') {
      return this.json(res, { status: 405, body: { error: 'method_not_allowed', message: 'use GET' } });
    }
    if (path === '/' || path === '/index.html') return this.page(req, res, url);
    const file = this.files.get(path);
    if (file && path !== '/index.html') return this.sendFile(req, res, file);
    if (path.startsWith('/api/')) {
      if (!this.auth.check(req, url)) return this.json(res, { status: 401, body: { error: 'unauthorized', message: 'LAN token required' } });
      if (req.method === 'POST' && !this.sameOrigin(req)) return this.json(res, { status: 403, body: { error: 'forbidden', message: 'cross-origin request' } });
      return this.json(res, await handleApi(req, url, { hub: this.hub, store: this.deps.store, defaultCity: this.deps.defaultCity, alertSource: this.deps.alertSource }));
    }
    return this.json(res, { status: 404, body: { error: 'not_found', message: `no route ${path}` } });
  }

  private page(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const authorized = this.auth.check(req, url);
    const token = url.searchParams.get('token');
    if (authorized && token && this.auth.enabled) {
      res.writeHead(303, { ...SECURITY_HEADERS, location: '/', 'set-cookie': this.auth.cookieHeader(token), 'cache-control': 'no-store' });
      return void res.end();
    }
    if (!authorized) {
      const login = this.files.get('/login.html')!;
      res.writeHead(401, { ...SECURITY_HEADERS, 'content-type': login.type, 'cache-control': 'no-store' });
      return void res.end(login.body);
    }
    this.sendFile(req, res, this.files.get('/index.html')!);
  }

  private sendFile(req: IncomingMessage, res: ServerResponse, file: StaticFile): void {
    const headers = { ...SECURITY_HEADERS, 'content-type': file.type, etag: file.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    res.writeHead(200, { ...headers, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  private json(res: ServerResponse, reply: Reply): void {
    const body = JSON.stringify(reply.body);
    res.writeHead(reply.status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  private sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}`;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://gateway');
    const match = WS_PATH.exec(url.pathname);
    const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    if (!match) return void refuse('404 Not Found');
    if (!this.auth.check(req, url)) return void refuse('401 Unauthorized');
    this.hub.handleUpgrade(req, socket, head, match[1]!.toUpperCase());
  }

  /** Stops accepting, closes WebSocket clients with 1001, ends idle keep-alive connections. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.hub.close();
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), 2_000);
    await closed;
    clearTimeout(timer);
  }
}
