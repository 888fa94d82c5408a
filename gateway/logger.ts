import { pino, type Logger } from 'pino';

/** Paths whose values never reach a log line (DESIGN §8). */
export const REDACTED_PATHS = [
  'password', '*.password', '*.*.password', 'token', '*.token', 'secret', '*.secret', 'apiKey', '*.apiKey',
  'headers.authorization', '*.headers.authorization', 'sasl.password', '*.sasl.password',
  'passwordHash', '*.passwordHash', '*.*.passwordHash',
];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** SIGUSR2: configured → debug → trace → configured. Children follow the root logger's level. */
export function nextLogLevel(current: string, configured: string): LogLevel {
  const cycle = [...new Set([configured, 'debug', 'trace'])] as LogLevel[];
  return cycle[(cycle.indexOf(current as LogLevel) + 1) % cycle.length]!;
}

/** Log bytes held while stdout does not take them (a stalled reader); past this, lines are dropped and counted. */
const STDOUT_BUFFER_MAX_BYTES = 4 * 1024 * 1024;

interface StdoutLog {
  written(maxMs: number): Promise<void>;
  onDrop: Array<() => void>;
}
const stdoutOf = new WeakMap<Logger, StdoutLog>();

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { svc: 'ucid-gateway' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  const stdout = pino.destination({ fd: 1, sync: false, maxLength: STDOUT_BUFFER_MAX_BYTES });
  let pending = false;
  stdout.on('drain', () => {
    pending = false;
  });
  const log = pino(options, { write: (line: string) => { pending = true; return stdout.write(line); } });
  const state: StdoutLog = {
    written: (maxMs) => (pending ? new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stdout.off('drain', done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      stdout.once('drain', done);
    }) : Promise.resolve()),
    onDrop: [],
  };
  stdout.on('drop', () => state.onDrop.forEach((count) => count()));
  stdoutOf.set(log, state);
  return log;
}

/** `count` runs for each line dropped because STDOUT_BUFFER_MAX_BYTES were already waiting for stdout. */
export function onLogLineDropped(log: Logger, count: () => void): void {
  stdoutOf.get(log)?.onDrop.push(count);
}

/**
 * Call before process.exit: waits until the lines logged so far are written, at most `maxMs` (1 s). At exit
 * pino writes what is left synchronously, and sonic-boom 4's flushSync retries a failed write forever, EPIPE
 * included: with stdout's reader gone, SIGTERM left the process in that loop. Written asynchronously first,
 * an EPIPE makes pino stop logging (its exit write becomes a no-op) and the process exits.
 */
export function logsWritten(log: Logger, maxMs = 1_000): Promise<void> {
  return stdoutOf.get(log)?.written(maxMs) ?? Promise.resolve();
}
