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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { svc: 'ucid-gateway' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination ?? pino.destination({ fd: 1, sync: false }));
}
