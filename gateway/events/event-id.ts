import { createHash } from 'node:crypto';

/** DESIGN §5: deterministic, so a replay of the same history yields the same id. */
export function eventId(gatewayId: string, kind: string, key: string, windowEndMs: number, revision: number): string {
  return createHash('sha256').update(`${gatewayId}\u0000${kind}\u0000${key}\u0000${windowEndMs}\u0000${revision}`).digest('hex').slice(0, 32);
}
