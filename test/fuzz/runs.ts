/** fast-check runs per property: as written in `npm test`, times UCID_FUZZ_SCALE (`npm run chaos` sets 10). */
export const runs = (n: number): number => Math.max(1, Math.round(n * Number(process.env.UCID_FUZZ_SCALE ?? 1)));
