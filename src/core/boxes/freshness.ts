// Which standby boxes a reconcile brings to their base branch's head (README "Boxes at branch head"):
// the pure plan. A box at head is only confirmed; a box behind is updated in place (fetch, fast-forward,
// updateContentCommand); a box whose dev container definition changed is replaced, never updated.
import { byAge, shortCommit, type Box } from '../../domain/box.js';
import type { PlannedAction } from './plan-pool.js';

/** The pool's base branch head as one round read it. */
export interface PoolHead {
  commit: string;
  /** The devcontainer definition's hash at the head, when it can be read where cac runs; the box checks it again either way. */
  configHash?: string;
}

/** What a round does for the freshness of one pool's boxes. */
export interface FreshnessPlan {
  /** Standby boxes at head: the check is recorded. */
  confirm: Box[];
  /** Standby boxes behind (or of an unknown commit): held (`updating`) and brought to head in place. */
  update: PlannedAction[];
  /** Standby boxes whose devcontainer definition differs at head: released, and the round makes new ones. */
  replace: PlannedAction[];
  /** Boxes a round left `updating` (it died holding them): failed, then replaced. */
  abandoned: PlannedAction[];
  /** Claimed and ready boxes on the base branch: how far behind they are is recorded, nothing else. */
  held: Box[];
}

/** The plan for `boxes` of one pool against the head `head`. Only the lock holder updates, so any `updating` box is abandoned. */
export function planFreshness(boxes: readonly Box[], head: PoolHead): FreshnessPlan {
  const plan: FreshnessPlan = { confirm: [], update: [], replace: [], abandoned: [], held: [] };
  for (const b of [...boxes].sort(byAge)) {
    if (b.state === 'updating') plan.abandoned.push({ id: b.id, reason: 'left updating by a reconcile that stopped' });
    else if ((b.state === 'claimed' || b.state === 'ready') && b.branch === b.baseBranch) plan.held.push(b);
    else if (b.state !== 'standby') continue;
    else if (b.commit === head.commit) plan.confirm.push(b);
    else if (head.configHash !== undefined && b.configHash !== null && b.configHash !== head.configHash) {
      plan.replace.push({ id: b.id, reason: `devcontainer definition changed at ${shortCommit(head.commit)} (${b.configHash} → ${head.configHash})` });
    } else plan.update.push({ id: b.id, reason: b.commit ? `behind: ${shortCommit(b.commit)} → ${shortCommit(head.commit)}` : `commit unknown; head ${shortCommit(head.commit)}` });
  }
  return plan;
}
