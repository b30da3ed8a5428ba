// The fleet's limits (`[boxes] max_live`, `max_per_claimant`) and a pool's `max_instances`, as a refused
// create reports them: the store counts and refuses atomically (BoxStore.createBoxIfRoom), this says why.
import { CacError } from '../../errors.js';
import type { Box } from '../../domain/box.js';
import { validateCount } from '../../domain/validate.js';
import type { LimitRefusal } from '../../ports/box-store.js';

/** The store-wide limits of `[boxes]`; null (or absent) is off. */
export interface FleetLimits {
  /** Boxes requested … ready across every pool (those holding, or about to hold, a VM). */
  maxLive?: number | null;
  /** Boxes one claimant (`--for`) holds: cold ones on their way, claimed and ready ones. */
  maxPerClaimant?: number | null;
}

/** Throws ERR_INVALID_INPUT naming the field (`maxLive`, `maxPerClaimant`) for a limit that is not a whole number ≥ 0; returns the limits. */
export function validateFleetLimits(limits: FleetLimits): FleetLimits {
  if (limits.maxLive !== undefined && limits.maxLive !== null) validateCount(limits.maxLive, 'maxLive', 0);
  if (limits.maxPerClaimant !== undefined && limits.maxPerClaimant !== null) validateCount(limits.maxPerClaimant, 'maxPerClaimant', 0);
  return limits;
}

/** Whether a limited create was refused rather than recorded. */
export function isRefusal(result: Box | LimitRefusal): result is LimitRefusal {
  return 'refused' in result;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 'es'}`;

/** The one-line ERR_NO_CAPACITY of a refused create, naming the limit and its value. */
export function capacityError(refusal: LimitRefusal, at: { poolKey: string; claimant: string | null }): CacError {
  const details = { limit: refusal.refused, max: refusal.max, count: refusal.count, poolKey: at.poolKey, ...(at.claimant !== null ? { claimant: at.claimant } : {}) };
  if (refusal.refused === 'max_per_claimant') {
    return new CacError('ERR_NO_CAPACITY', `boxes.max_per_claimant = ${refusal.max} reached: ${at.claimant ?? '?'} holds ${plural(refusal.count, 'box')}`, {
      hint: `release one of them ('cac box list' shows them, 'cac box release <id>'), request with --wait, or raise [boxes] max_per_claimant`,
      details,
    });
  }
  if (refusal.refused === 'max_live') {
    return new CacError('ERR_NO_CAPACITY', `boxes.max_live = ${refusal.max} reached: ${plural(refusal.count, 'box')} live across all pools`, {
      hint: 'release a box, request with --wait, or raise [boxes] max_live',
      details,
    });
  }
  return new CacError('ERR_NO_CAPACITY', `pool ${at.poolKey} is full: ${refusal.max} live boxes (max_instances)`, {
    hint: 'release a box, request with --wait, or raise max_instances in [[pools]]',
    details: { ...details, maxInstances: refusal.max },
  });
}

/** The note a plan or a reconcile carries when max_live holds creates back. */
export function heldByMaxLive(maxLive: number, live: number): string {
  return `held by max_live: ${plural(live, 'box')} live across all pools (boxes.max_live = ${maxLive})`;
}
