// The apply half of reconcile: carry out what the pure planners decided, each action compare-and-set
// against the state the plan saw. Removals first (orphans, fails, releases, destroys), then creates.
import pLimit from 'p-limit';
import { isAbortError, isCacError } from '../../errors.js';
import type { BoxStore } from '../../ports/box-store.js';
import type { Reporter } from '../../ports/reporter.js';
import type { VmDriver } from '../../ports/vm-driver.js';
import type { Box } from '../../domain/box.js';
import type { OrphanPlan, PlannedAction, PoolPlan, PoolSpec } from './plan-pool.js';
import { isLockLost } from './lease-lock.js';
import { heldByMaxLive, isRefusal } from './limits.js';
import { teardownBox } from './teardown.js';
import { dropRequested, moveBox } from './transition.js';

export interface ApplyDeps {
  store: BoxStore;
  driver: VmDriver;
  now: () => number;
  reporter: Reporter;
  /** The reconcile lock's fencing check, made before every side effect; throws ERR_LOCK_LOST once it is gone. */
  assertHeld?: () => Promise<void>;
}

export interface HygieneApplied {
  vmsDestroyed: string[];
  boxesFailed: string[];
  releasesFinished: string[];
}

export interface PoolApplied {
  failed: string[];
  released: string[];
  destroyed: string[];
  created: string[];
  /** Set when the store refused a planned create for `[boxes] max_live` (boxes made elsewhere since the snapshot). */
  held?: string;
}

/** Runs one action; its failure becomes a warning so the other actions still run (an abort or a lost lock stops all). */
async function attempt(warnings: string[], what: string, fn: () => Promise<boolean>): Promise<boolean> {
  try {
    return await fn();
  } catch (e) {
    if (isAbortError(e) || isLockLost(e)) throw e;
    warnings.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
}

const byId = (boxes: readonly Box[]) => new Map(boxes.map((b) => [b.id, b]));

/** Orphan VMs destroyed, records whose VM is gone failed, interrupted releases finished. */
export async function applyHygiene(deps: ApplyDeps, plan: OrphanPlan, records: readonly Box[], warnings: string[], signal?: AbortSignal): Promise<HygieneApplied> {
  const out: HygieneApplied = { vmsDestroyed: [], boxesFailed: [], releasesFinished: [] };
  const sig = signal ? { signal } : {};
  for (const vm of plan.destroyVms) {
    await deps.assertHeld?.();
    if (await attempt(warnings, `destroying orphan VM ${vm.vmRef}`, async () => (await deps.driver.destroy(vm.vmRef, sig), true))) out.vmsDestroyed.push(vm.vmRef);
  }
  const seen = byId(records);
  for (const f of plan.failBoxes) {
    const box = seen.get(f.id);
    if (box && (await failBox(deps, box, f.reason))) out.boxesFailed.push(f.id);
  }
  for (const box of records.filter((r) => r.state === 'releasing')) {
    await deps.assertHeld?.();
    const done = await attempt(warnings, `finishing the release of ${box.id}`, async () => (await teardownBox(deps, box, sig))?.state === 'destroyed');
    if (done) out.releasesFinished.push(box.id);
  }
  return out;
}

/** Asks one standby box whether it is still the box cac made and can work (pinned SSH host key, engine); throws why not. */
export type StandbyCheck = (box: Box, opts: { signal?: AbortSignal }) => Promise<void>;

/**
 * Checks every standby box (`concurrency` at once) and fails the ones that do not pass, so a claim never
 * hands them out. Not a pool failure (the box was fine when made). Resolves with the boxes failed.
 */
export async function applyStandbyChecks(deps: ApplyDeps, boxes: readonly Box[], check: StandbyCheck, concurrency: number, signal?: AbortSignal): Promise<PlannedAction[]> {
  const limit = pLimit(concurrency);
  const standby = boxes.filter((b) => b.state === 'standby');
  const verdicts = await Promise.all(
    standby.map((box) =>
      limit(async () => {
        try {
          await check(box, signal ? { signal } : {});
          return undefined;
        } catch (e) {
          if (isAbortError(e) || signal?.aborted) throw e;
          return { box, reason: `failed its standby check: ${e instanceof Error ? e.message : String(e)}` };
        }
      }),
    ),
  );
  const unfit: PlannedAction[] = [];
  for (const v of verdicts) if (v && (await failBox(deps, v.box, v.reason))) unfit.push({ id: v.box.id, reason: v.reason });
  return unfit;
}

async function failBox(deps: ApplyDeps, box: Box, reason: string): Promise<boolean> {
  await deps.assertHeld?.();
  const failed = await moveBox(deps.store, box, 'failed', { patch: { error: reason }, now: deps.now() });
  if (failed) deps.reporter.emit({ type: 'info', message: `failed ${box.id}: ${reason}` });
  return failed !== null;
}

/** One pool's plan: fails (each a pool failure), releases, destroys, then new `requested` records. */
export async function applyPoolPlan(deps: ApplyDeps, spec: PoolSpec, boxes: readonly Box[], plan: PoolPlan, round: string, warnings: string[], signal?: AbortSignal): Promise<PoolApplied> {
  const out: PoolApplied = { failed: [], released: [], destroyed: [], created: [] };
  const seen = byId(boxes);
  const sig = signal ? { signal } : {};
  for (const f of plan.fails) {
    const box = seen.get(f.id);
    if (box && (await failBox(deps, box, f.reason))) {
      await deps.assertHeld?.();
      await deps.store.recordFailure(box.poolKey, deps.now());
      out.failed.push(f.id);
    }
  }
  const remove = async (actions: PlannedAction[], into: string[], verb: string) => {
    for (const a of actions) {
      const box = seen.get(a.id);
      if (!box) continue;
      await deps.assertHeld?.();
      const gone = await attempt(warnings, `${verb} ${a.id}`, async () => (await teardownBox(deps, box, { reason: a.reason, ...sig }))?.state === 'destroyed');
      if (gone) into.push(a.id);
    }
  };
  await remove(plan.releases, out.released, 'releasing');
  await remove(plan.destroys, out.destroyed, 'destroying');
  const now = deps.now();
  for (let i = 0; i < plan.creates; i++) {
    await deps.assertHeld?.();
    // within max_instances and max_live at the moment of the write: a cold request may have taken a place since the snapshot
    const box = await deps.store.createBoxIfRoom(
      { repoUrl: spec.repoUrl, baseBranch: spec.baseBranch, deadlineAt: now + spec.provisionTimeoutMs, now },
      { idempotencyKey: `reconcile:${round}:${spec.repoUrl}#${spec.baseBranch}:${i}`, maxInstances: spec.maxInstances, maxLive: spec.maxLive ?? null },
    );
    if (isRefusal(box)) {
      if (box.refused === 'max_live') out.held = heldByMaxLive(box.max, box.count);
      break;
    }
    if (!(await reserveCapacity(deps, box, warnings, sig))) break;
    out.created.push(box.id);
  }
  return out;
}

/**
 * A driver with finite capacity (ssh-fleet) holds a host for the box before it counts as created. With
 * none free, the record ends destroyed and the round stops creating: a full fleet is not a pool failure
 * (no backoff, no hard limit).
 */
async function reserveCapacity(deps: ApplyDeps, box: Box, warnings: string[], sig: { signal?: AbortSignal }): Promise<boolean> {
  if (!deps.driver.reserve) return true;
  try {
    await deps.driver.reserve({ boxId: box.id }, sig);
    return true;
  } catch (e) {
    if (!isCacError(e) || e.code !== 'ERR_NO_CAPACITY') throw e;
    await dropRequested(deps.store, box, e.message, deps.now());
    warnings.push(`${box.poolKey}: no free capacity for another box (${e.message})`);
    return false;
  }
}
