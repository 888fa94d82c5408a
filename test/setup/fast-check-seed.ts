import fc from 'fast-check';

// `npm test` (and CI) runs every property with one fixed seed, so a run that passed passes again and a failure
// reproduces. `npm run chaos` (UCID_CHAOS=full) and UCID_FUZZ_SEED=random draw new cases each run;
// UCID_FUZZ_SEED=<n> replays one. fast-check prints the seed and path of any counterexample.
const chosen = process.env.UCID_FUZZ_SEED ?? (process.env.UCID_CHAOS === 'full' ? 'random' : '20261127');
if (chosen !== 'random') {
  const seed = Number(chosen);
  if (!Number.isInteger(seed)) throw new Error(`UCID_FUZZ_SEED must be an integer or "random", not "${chosen}"`);
  fc.configureGlobal({ seed });
}
