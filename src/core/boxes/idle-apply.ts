// `[boxes] idle_timeout`, the measuring half of a round: every held box of a pool is probed on the box
// (a bounded number at once), judged by the pure planner, and its activity recorded compare-and-set at
// the state and fence seen. The idle ones are handed to the pool plan, which releases them as it
// releases an expired lease (same teardown).
import pLimit from 'p-limit';
import { isAbortError } from '../../errors.js';
import type { Box } from '../../domain/box.js';
import type { ActivityProbe } from './activity-probe.js';
import { judgeIdle, type ProbeOutcome } from './plan-idle.js';
import type { PlannedAction } from './plan-pool.js';
import type { ApplyDeps } from './reconcile-apply.js';

/** Held boxes a probe can reach whose lease is not over (an expired lease is released by the plan anyway). */
function probed(boxes: readonly Box[], now: number): Box[] {
  return boxes.filter((b) => (b.state === 'claimed' || b.state === 'ready') && b.sshTarget !== null && !(b.leaseExpiresAt !== null && now >= b.leaseExpiresAt));
}

/** Probes the pool's held boxes; returns those idle past `idleTimeoutMs`, each with its release reason. A failed probe is a warning. */
export async function measureIdle(
  deps: ApplyDeps,
  boxes: readonly Box[],
  probe: ActivityProbe,
  opts: { idleTimeoutMs: number; concurrency: number; signal?: AbortSignal },
  warnings: string[],
): Promise<PlannedAction[]> {
  const limit = pLimit(opts.concurrency);
  const sig = opts.signal ? { signal: opts.signal } : {};
  const verdicts = await Promise.all(
    probed(boxes, deps.now()).map((box) =>
      limit(async () => {
        let outcome: ProbeOutcome;
        try {
          outcome = { reading: await probe(box, sig) };
        } catch (e) {
          if (isAbortError(e) || opts.signal?.aborted) throw e;
          outcome = { error: e instanceof Error ? e.message : String(e) };
          warnings.push(`box ${box.id}: cannot measure its use (${outcome.error}); it counts as in use`);
        }
        return { box, verdict: judgeIdle(box, outcome, deps.now(), opts.idleTimeoutMs) };
      }),
    ),
  );
  const idle: PlannedAction[] = [];
  for (const { box, verdict } of verdicts) {
    if (verdict.idle && verdict.reason) {
      idle.push({ id: box.id, reason: verdict.reason });
      continue;
    }
    await deps.assertHeld?.();
    // a lost compare-and-set (a renewal, a release meanwhile) drops this reading: the next round measures again
    await deps.store.update(box.id, { state: box.state, fence: box.fence, patch: { activity: verdict.activity }, now: deps.now() });
  }
  return idle;
}
