import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '../../dist/sync/main.js');
const live = new Set<ChildProcess>();

/** A test that fails or times out must not leave workers retrying forever. */
export function killWorkerChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
process.once('exit', killWorkerChildren);

export interface WorkerChild {
  pid: number;
  output: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** The sync worker as a separate process (dist/sync/main.js) over `db`, so a test can SIGKILL it. */
export function startWorkerChild(db: string, gatewayId: string, sync: object, options: { crash?: string; exitWhenDrained?: boolean } = {}): WorkerChild {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (scripts/test.sh does)`);
  const args = [MAIN, '--db', db, '--gateway-id', gatewayId, '--sync', JSON.stringify(sync), ...(options.exitWhenDrained ? ['--exit-when-drained'] : [])];
  const child = spawn(process.execPath, args, { env: { ...process.env, UCID_SYNC_CRASH: options.crash ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  live.add(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => {
    live.delete(child);
    resolve({ code, signal });
  }));
  return { pid: child.pid!, output, exit, kill: (signal) => child.kill(signal) };
}
