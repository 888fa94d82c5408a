import { createRequire } from 'node:module';

type H3 = typeof import('h3-js');
let h3: H3 | null = null;

/**
 * h3-js, loaded on first use: 2–6 MiB RSS (docs/benchmarks.md) that a gateway whose cells are all known at start
 * never needs on its own thread — the config loader's worker computes each registered sensor's cell and UCID point
 * (gateway/config/load.ts) and the pipeline seeds them (seedUcidPoints).
 */
export function loadH3(): H3 {
  h3 ??= createRequire(import.meta.url)('h3-js') as H3;
  return h3;
}
