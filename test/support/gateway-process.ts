import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/gateway/cli.js');

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The built gateway as a child process, the way systemd runs it; logs are parsed from its stdout. */
export class GatewayProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  mqttPort = 0;
  /** The LAN HTTP server (page, WebSocket, API, metrics); 0 when `http.enabled` is false. */
  httpPort = 0;
  private exitCode: Promise<number | null>;
  private waiters = new Set<() => void>();

  private constructor(readonly child: ChildProcess, readonly dir: string, readonly configFile: string) {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 30, msg: line });
        }
      }
      this.waiters.forEach((w) => w());
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exitCode = new Promise((resolve) => child.once('exit', (code) => {
      resolve(code);
      this.waiters.forEach((w) => w());
    }));
  }

  /**
   * Starts `ucid-gateway start --config` on `config` (dataDir defaults to a temp dir; MQTT on port 0). `nodeArgs`:
   * node flags before the script (the unit's, for a soak: scripts/systemd-unit.mjs).
   */
  static async start(config: Record<string, unknown>, options: { dir?: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<GatewayProcess> {
    const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'ucid-gw-'));
    const full = { ...config, gateway: { id: 'gw-test', dataDir: dir, ...(config.gateway as object) }, mqtt: { port: 0, host: '127.0.0.1', allowAnonymous: true, ...(config.mqtt as object) },
      http: { port: 0, host: '127.0.0.1', ...(config.http as object) } };
    const configFile = path.join(dir, 'gateway.yaml');
    writeFileSync(configFile, stringify(full));
    return GatewayProcess.spawn(['start', '--config', configFile], dir, configFile, options.env, dir, options.nodeArgs);
  }

  static async spawn(args: string[], dir: string, configFile: string, env?: NodeJS.ProcessEnv, cwd = dir, nodeArgs: string[] = []): Promise<GatewayProcess> {
    const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const gateway = new GatewayProcess(child, dir, configFile);
    const ready = await gateway.waitForLog((l) => l.msg === 'gateway ready', 30_000);
    gateway.mqttPort = ready.mqttPort as number;
    gateway.httpPort = (ready.httpPort as number | null) ?? 0;
    return gateway;
  }

  get dbPath(): string {
    return path.join(this.dir, 'gateway.db');
  }

  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.logs.find(match);
        if (found) {
          done();
          resolve(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(`gateway exited (${this.child.exitCode ?? this.child.signalCode}) before the expected log line\n${this.stderr}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for a log line\n${this.stderr}\n${this.tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  tail(lines = 20): string {
    return this.logs.slice(-lines).map((l) => JSON.stringify(l)).join('\n');
  }

  /** SIGTERM and wait; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exitCode;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exitCode;
  }

  /** A metric from /metrics: the sum of its series whose labels include `labels` (0 when it has none). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  }

  /** Opens the gateway's SQLite file read-only for a query. */
  query<T>(sql: string, ...params: unknown[]): T[] {
    const db = new Database(this.dbPath, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }
}

/** Polls until `probe` returns a truthy value. */
export async function eventually<T>(probe: () => T | Promise<T>, timeoutMs = 15_000, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
