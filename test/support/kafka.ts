import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const KAFKA_SH = path.resolve(import.meta.dirname, '../../scripts/kafka.sh');

/** The suite's shared broker (scripts/test.sh), if any. */
export const SHARED_KAFKA = process.env.UCID_TEST_KAFKA ?? '';

export interface OwnKafka {
  bootstrap: string;
  dir: string;
  /** Stops the broker and keeps its data. */
  stop(): Promise<void>;
  /** Starts it again on the same data and ports. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function kafkaSh(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run('bash', [KAFKA_SH, ...args], { env, maxBuffer: 16 << 20, timeout: 180_000 });
  return stdout;
}

/**
 * A broker of the test's own (scripts/kafka.sh, port 0, own dir and state file), for tests that stop and
 * restart it without disturbing the shared one. `ports` pre-seeds the listener ports (for extra listeners).
 */
export async function startOwnKafka(options: { props?: string[]; ports?: [number, number] } = {}): Promise<OwnKafka> {
  const root = mkdtempSync(path.join(tmpdir(), 'ucid-own-kafka-'));
  const dir = path.join(root, 'broker');
  const env = { ...process.env, UCID_KAFKA_STATE: path.join(root, 'state') };
  const props = (options.props ?? []).flatMap((p) => ['--prop', p]);
  if (options.ports) {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'ports'), `${options.ports[0]} ${options.ports[1]}\n`);
  }
  const out = await kafkaSh(['start', '--dir', dir, ...(options.ports ? [] : ['--port', '0']), ...props], env);
  const bootstrap = /^bootstrap=(.*)$/m.exec(out)?.[1];
  if (!bootstrap) throw new Error(`kafka.sh start printed no bootstrap:\n${out}`);
  return {
    bootstrap, dir,
    stop: async () => void await kafkaSh(['stop', '--dir', dir, '--keep'], env),
    start: async () => void await kafkaSh(['start', '--dir', dir, ...props], env),
    destroy: async () => {
      await kafkaSh(['stop', '--dir', dir, '--keep'], env).catch(() => '');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers: Record<string, string>;
}

/** Every record of `topic` as kcat (librdkafka, an independent client) sees it with isolation.level=read_committed. */
export async function kcatReadCommitted(bootstrap: string, topic: string, extra: string[] = []): Promise<KcatRecord[]> {
  const { stdout } = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J',
    '-X', 'isolation.level=read_committed', ...extra], { maxBuffer: 512 << 20, timeout: 120_000 });
  return stdout.split('\n').filter(Boolean).map((line) => {
    const r = JSON.parse(line) as Omit<KcatRecord, 'headers'> & { headers?: string[] };
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < (r.headers?.length ?? 0); i += 2) headers[r.headers![i]!] = r.headers![i + 1]!;
    return { ...r, headers };
  });
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}
