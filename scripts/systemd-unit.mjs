// How systemd/ucid-gateway.service starts node, read from the unit itself, so the benchmarks and the soak start
// the gateway as the field does (its RSS and CPU are the field's).
import { readFileSync } from 'node:fs';
import path from 'node:path';

const lines = readFileSync(path.resolve(import.meta.dirname, '../systemd/ucid-gateway.service'), 'utf8').split('\n').map((line) => line.trim());

/** glibc's malloc settings: the unit's `Environment=MALLOC_…` lines. */
export const UNIT_MALLOC_ENV = Object.freeze(Object.fromEntries(lines
  .map((line) => /^Environment=(MALLOC_\w+)=(\S+)$/.exec(line))
  .filter(Boolean)
  .map((m) => [m[1], m[2]])));

/** The node flags of the unit's ExecStart, before the script. */
export const UNIT_NODE_ARGS = Object.freeze((lines.find((line) => line.startsWith('ExecStart=')) ?? '')
  .split(' ').slice(1).filter((arg) => arg.startsWith('--')));
