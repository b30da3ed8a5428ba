// How far a box's checkout is from its base branch's head, as cac last checked it: pure rules the
// reconcile planner, the after-claim step and the listings share (README "Boxes at branch head").
import { shortCommit, type Box } from './box.js';

/** How a listing says where a box stands: its commit (short) and how far behind its base head. */
export interface BoxFreshness {
  /** The checkout's commit, seven hex digits; null when unknown. */
  commit: string | null;
  /** Commits behind the base head at the last check: 0 at head, null when not known. */
  behind: number | null;
  /** `at head`, `3 behind`, `behind` (count unknown), `unknown` (never checked or no commit recorded), `on <branch>`. */
  text: string;
  /** When the head was last checked for this box; null: never. */
  checkedAt: number | null;
}

/** Where the box stands against its base head, as last checked. */
export function freshnessOf(box: Pick<Box, 'commit' | 'head' | 'branch' | 'baseBranch'>): BoxFreshness {
  const commit = box.commit ? shortCommit(box.commit) : null;
  const checkedAt = box.head?.at ?? null;
  if (box.branch !== box.baseBranch) return { commit, behind: null, text: `on ${box.branch}`, checkedAt };
  if (!box.commit || !box.head) return { commit, behind: null, text: 'unknown', checkedAt };
  if (box.head.commit === box.commit) return { commit, behind: 0, text: 'at head', checkedAt };
  const behind = box.head.behind;
  return { commit, behind, text: behind === null || behind === 0 ? 'behind' : `${behind} behind`, checkedAt };
}

/**
 * Whether a claim must read the base head (and fast-forward when behind) before handing the box out:
 * a box known behind, never checked, or last checked longer than `maxStalenessMs` ago. A box on
 * another branch than its pool's is the switch step's business.
 */
export function needsHeadCheck(box: Pick<Box, 'commit' | 'head' | 'branch' | 'baseBranch'>, now: number, maxStalenessMs: number): boolean {
  if (box.branch !== box.baseBranch) return false;
  if (!box.commit || !box.head || box.head.commit !== box.commit) return true;
  return now - box.head.at > maxStalenessMs;
}
