import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = path.resolve(PEERS_DIR, '../..');
export const PYTHON = path.join(REPO_DIR, '.venv/bin/python');

/** A port that was free a moment ago on loopback (peers that must restart on the same port need one up front). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Peer {
  readonly child: ChildProcess;
  output(): string;
  /** SIGKILL: the peer dies without closing anything, like a power cut. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** Resolves once something accepts TCP connections on the loopback port. */
export async function waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts a peer process and resolves once it prints a line starting with `ready` (or matching it) on stdout,
 * or once all `ready` ports accept connections.
 */
export async function startPeer(command: string, args: string[], ready: string | RegExp | number[] = 'READY', timeoutMs = 90_000): Promise<Peer> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_DIR });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} not ready after ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (Array.isArray(ready)) return;
      if (out.split('\n').some((line) => (typeof ready === 'string' ? line.startsWith(ready) : ready.test(line)))) {
        clearTimeout(timer);
        resolve();
      }
    };
    if (Array.isArray(ready)) {
      Promise.all(ready.map((port) => waitForPort(port, timeoutMs))).then(() => {
        clearTimeout(timer);
        resolve();
      }, reject);
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before it was ready:\n${out}`));
    });
  });
  const end = async (signal: NodeJS.Signals) => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const grace = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(grace);
  };
  return { child, output: () => out, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
