// The apply half of keeping a pool at its branch head (README "Boxes at branch head"): one read of the
// head per pool and round, then the plan of core/boxes/freshness.ts carried out. A box is updated while
// held: standby → updating is a compare-and-set, so a claim never takes a box mid-update, and an update
// that passed returns it to standby at the new commit; one that failed fails it (the round replaces it).
import pLimit from 'p-limit';
import { isAbortError } from '../../errors.js';
import type { Box } from '../../domain/box.js';
import type { PoolDefinition } from '../../domain/pool.js';
import type { ApplyDeps } from './reconcile-apply.js';
import { planFreshness, type FreshnessPlan, type PoolHead } from './freshness.js';
import { teardownBox } from './teardown.js';
import { moveBox } from './transition.js';

/** How a box is brought to head in place: `current` (nothing to do), `updated`, or `config-changed` (replace it). */
export type HeadUpdate = { kind: 'current' | 'updated'; commit: string; configHash: string } | { kind: 'config-changed'; commit: string; reason: string };

/** What keeping pools at their branch head needs. */
export interface FreshnessDeps {
  /** The pool's base branch head now (one `git ls-remote`, or the local repository's ref). */
  head(pool: PoolDefinition, opts: { signal?: AbortSignal }): Promise<PoolHead>;
  /** Commits `to` has that `from` lacks, or null when that cannot be counted here. */
  behind(pool: PoolDefinition, from: string, to: string, opts: { signal?: AbortSignal }): Promise<number | null>;
  /** Fetch, fast-forward and updateContentCommand on a held box; a changed definition is reported, not applied. */
  update(box: Box, signal: AbortSignal): Promise<HeadUpdate>;
  /** Frees what an update held for the box (its SSH connection). */
  settle?(boxId: string): Promise<void>;
}

/** What a round did for one pool's freshness. */
export interface FreshnessApplied {
  /** The base head this round read (null when it could not be read: nothing else was done). */
  head: string | null;
  /** Standby boxes found at head. */
  atHead: string[];
  /** Brought to head in place. */
  updated: string[];
  /** Released because their dev container definition changed (the round makes new ones). */
  replaced: string[];
  /** Failed: the update did not pass, or a round left them updating. */
  failed: Array<{ id: string; reason: string }>;
}

/** Reads the pool's head once and brings its standby boxes to it; claimed boxes get their distance recorded. */
export async function applyFreshness(
  deps: ApplyDeps,
  fresh: FreshnessDeps,
  pool: PoolDefinition,
  boxes: readonly Box[],
  opts: { concurrency: number; warnings: string[]; signal?: AbortSignal },
): Promise<FreshnessApplied> {
  const out: FreshnessApplied = { head: null, atHead: [], updated: [], replaced: [], failed: [] };
  const sig = opts.signal ? { signal: opts.signal } : {};
  let head: PoolHead;
  try {
    head = await fresh.head(pool, sig);
  } catch (e) {
    if (isAbortError(e) || opts.signal?.aborted) throw e;
    opts.warnings.push(`${pool.repoUrl}#${pool.baseBranch}: its head could not be read, boxes left as they are: ${e instanceof Error ? e.message : String(e)}`);
    return out;
  }
  out.head = head.commit;
  const plan = planFreshness(boxes, head);
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const at = deps.now();
  for (const a of plan.abandoned) {
    const box = byId.get(a.id);
    await deps.assertHeld?.();
    if (box && (await moveBox(deps.store, box, 'failed', { patch: { error: a.reason }, now: at }))) out.failed.push(a);
  }
  for (const box of plan.confirm) {
    const done = await deps.store.update(box.id, { state: 'standby', fence: box.fence, patch: { head: { commit: head.commit, behind: 0, at } }, now: at });
    if (done) out.atHead.push(box.id);
  }
  await recordHeld(deps, fresh, pool, plan, head.commit, sig);
  for (const a of plan.replace) {
    const box = byId.get(a.id);
    await deps.assertHeld?.();
    if (box && (await teardownBox(deps, box, { reason: a.reason, ...sig }))?.state === 'destroyed') out.replaced.push(a.id);
  }
  const limit = pLimit(opts.concurrency);
  await Promise.all(plan.update.map((a) => limit(() => updateOne(deps, fresh, byId.get(a.id), head.commit, out, opts.signal))));
  return out;
}

/** How far claimed boxes are behind: recorded, never changed (their claimant's work is there). */
async function recordHeld(deps: ApplyDeps, fresh: FreshnessDeps, pool: PoolDefinition, plan: FreshnessPlan, head: string, sig: { signal?: AbortSignal }): Promise<void> {
  const at = deps.now();
  for (const box of plan.held) {
    // already recorded against this head: nothing new to say
    if (!box.commit || box.head?.commit === head) continue;
    const behind = box.commit === head ? 0 : await fresh.behind(pool, box.commit, head, sig).catch(() => null);
    await deps.store.update(box.id, { state: box.state, fence: box.fence, patch: { head: { commit: head, behind, at } }, now: at });
  }
}

/** Holds one standby box (standby → updating), updates it, and gives it back (→ standby) or fails or releases it. */
async function updateOne(deps: ApplyDeps, fresh: FreshnessDeps, seen: Box | undefined, head: string, out: FreshnessApplied, signal?: AbortSignal): Promise<void> {
  if (!seen || signal?.aborted) return;
  await deps.assertHeld?.();
  const held = await moveBox(deps.store, seen, 'updating', { now: deps.now() });
  // claimed (or otherwise moved) since the snapshot: its claim brings it to head, not this round
  if (!held) return;
  let r: HeadUpdate;
  try {
    r = await fresh.update(held, signal ?? new AbortController().signal);
  } catch (e) {
    const reason = `update to ${head.slice(0, 7)} failed: ${e instanceof Error ? e.message : String(e)}`;
    // interrupted: the box is failed too (half updated), so no claim gets it; the next round replaces it
    if ((await moveBox(deps.store, held, 'failed', { patch: { error: reason }, now: deps.now() })) && !isAbortError(e)) out.failed.push({ id: held.id, reason });
    if (isAbortError(e) || signal?.aborted) throw e;
    return;
  } finally {
    await fresh.settle?.(held.id).catch(() => undefined);
  }
  if (r.kind === 'config-changed') {
    if ((await teardownBox(deps, held, { reason: r.reason }))?.state === 'destroyed') out.replaced.push(held.id);
    return;
  }
  const at = deps.now();
  const back = await moveBox(deps.store, held, 'standby', { patch: { commit: r.commit, configHash: r.configHash, head: { commit: r.commit, behind: 0, at } }, now: at });
  if (back) out[r.kind === 'current' ? 'atHead' : 'updated'].push(held.id);
}
