import { createRequire } from 'node:module';

interface DebugLogger {
  (...args: unknown[]): void;
  enabled: boolean;
  namespace: string;
  extend(sub: string, delimiter?: string): DebugLogger;
}
interface CreateDebug {
  (namespace: string): DebugLogger;
  enabled(namespace: string): boolean;
}

/**
 * The `debug` package's loggers take `...args`, so every call builds an array even when off: mqtt-packet calls one
 * 4–6 times a packet, ~10 % of the bytes the gateway allocated at its peak QoS 1 rate (docs/benchmarks.md). A
 * namespace that DEBUG leaves off (decided once, at start, as `debug` itself does) gets a logger that takes
 * nothing. Swapped in the module cache before mqtt-packet (resolved from there) first requires it.
 */
export function quietDisabledDebugLoggers(from: string): void {
  const require = createRequire(from);
  const file = require.resolve('debug');
  const createDebug = require(file) as CreateDebug;
  const quiet = Object.assign((namespace: string): DebugLogger => (createDebug.enabled(namespace) ? createDebug(namespace) : off(namespace)), createDebug);
  const off = (namespace: string): DebugLogger => Object.assign(() => {}, {
    enabled: false, namespace, extend: (sub: string, delimiter = ':') => quiet(`${namespace}${delimiter}${sub}`),
  });
  require.cache[file]!.exports = quiet;
}
