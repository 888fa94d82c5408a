import { pino, type Logger } from 'pino';

/** Paths whose values never reach a log line (DESIGN §8). */
export const REDACTED_PATHS = [
  'password', '*.password', '*.*.password', 'token', '*.token', 'secret', '*.secret', 'apiKey', '*.apiKey',
  'headers.authorization', '*.headers.authorization', 'sasl.password', '*.sasl.password',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { svc: 'ucid-gateway' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination ?? pino.destination({ fd: 1, sync: false }));
}
