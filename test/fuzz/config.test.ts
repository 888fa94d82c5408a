import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../gateway/errors.js';
import { loadConfigFile, resolveConfig } from '../../gateway/config/load.js';
import { GatewayError } from '../../gateway/errors.js';
import { runs } from './runs.js';

// Issue 8 bad input: config files. Whatever is in the file, the answer is a frozen config or every problem
// listed as `path: message` (DESIGN §8), never a stack trace from deeper down.
const dir = mkdtempSync(path.join(tmpdir(), 'ucid-fuzz-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const site = parse(readFileSync(path.resolve(import.meta.dirname, '../../examples/site.yaml'), 'utf8')) as Record<string, unknown>;

function expectAnswer(run: () => unknown): void {
  try {
    const config = run() as object;
    expect(Object.isFrozen(config)).toBe(true);
  } catch (err) {
    if (err instanceof ConfigInvalidError) {
      expect(err.problems.length).toBeGreaterThan(0);
      for (const p of err.problems) expect(p).toMatch(/^\S.*: \S/s);
      return;
    }
    if (err instanceof GatewayError && err.code === 'CONFIG_UNREADABLE') return;
    throw err;
  }
}

type Json = unknown;
/** Replace, delete or retype one value somewhere in a document. */
function mutate(doc: Json, pathSeed: number[], replacement: Json, remove: boolean): Json {
  if (pathSeed.length === 0 || doc === null || typeof doc !== 'object') return replacement;
  const keys = Object.keys(doc as object);
  if (!keys.length) return replacement;
  const key = keys[pathSeed[0]! % keys.length]!;
  const copy: Record<string, Json> | Json[] = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, Json>) };
  if (remove && pathSeed.length === 1) {
    if (Array.isArray(copy)) copy.splice(Number(key), 1);
    else delete copy[key];
    return copy;
  }
  (copy as Record<string, Json>)[key] = mutate((doc as Record<string, Json>)[key], pathSeed.slice(1), replacement, remove);
  return copy;
}

const oddValue = fc.oneof(fc.anything(), fc.constantFrom('5m', '-1s', '1e999', '64KiB', 'IST', '', null, [], {}, -1, 0, 1e308, Number.NaN, '__proto__'));

describe('fuzz: config files', () => {
  it('the example site config with one value replaced, retyped or deleted anywhere', () => {
    fc.assert(fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), oddValue, fc.boolean(), (seed, value, remove) => {
      expectAnswer(() => resolveConfig(mutate(structuredClone(site), seed, value, remove), dir));
    }), { numRuns: runs(1_500) });
  });

  it('arbitrary documents at the top level and in each section', () => {
    const section = fc.constantFrom('gateway', 'mqtt', 'ingest', 'http', 'sensors', 'windows', 'scoring', 'store', 'alerts', 'drivers', 'sync');
    fc.assert(fc.property(fc.oneof(fc.anything(), fc.dictionary(section, fc.anything())), (doc) => expectAnswer(() => resolveConfig(doc, dir))), { numRuns: runs(1_500) });
  });

  it('arbitrary file text (YAML errors, duplicate keys, anchors, binary) through the file loader', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
      fc.anything().map((v) => { try { return stringify(v) ?? ''; } catch { return ''; } }),
      fc.constantFrom('a: 1\na: 2\n', 'gateway: &x {id: a}\nmqtt: *x\n', 'sensors: [', '\t- x', '%YAML 9.9\n---\n', 'store: !!binary AAAA', 'gateway:\n  id: [1, 2'),
    );
    let n = 0;
    fc.assert(fc.property(text, (t) => {
      const file = path.join(dir, `c${n++}.yaml`);
      writeFileSync(file, t);
      expectAnswer(() => loadConfigFile(file));
    }), { numRuns: runs(1_000) });
  });
});
