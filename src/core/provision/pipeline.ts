// The provisioning pipeline: ordered, named steps, each timed and recorded on the box. A box becomes
// `standby` (pool box) or `ready` (cold box made for its claimant) only when its last step passed.
// Every write is compare-and-set on (state, fence), so a pipeline that lost the box stops. Vocabulary:
// a step is one named unit (this file's ProvisionStep), the pipeline runs a box's steps in order, and the
// box worker (app/use-cases/box-worker.ts) is the background process that runs a cold box's pipeline.
import { isAbortError, isCacError } from '../../errors.js';
import type { BoxStore } from '../../ports/box-store.js';
import type { Reporter } from '../../ports/reporter.js';
import type { Vm, VmDriver } from '../../ports/vm-driver.js';
import type { Box, BoxPatch, BoxState, BoxStep } from '../../domain/box.js';
import { destroyBoxVms } from '../boxes/teardown.js';
import { moveBox } from '../boxes/transition.js';
import { timerDelay } from '../../domain/duration.js';

/** What the steps share while one box is worked on. */
export interface StepContext {
  /** The box as last written by this pipeline. */
  box: Box;
  /** The VM, once `vm_create` made or found it. */
  vm?: Vm;
  /** The requester's encrypted .env payload, when the steps run in the requester's process. */
  envPayload?: string;
  /** Aborted on interruption or at the box's deadline. */
  signal: AbortSignal;
}

/** One named step. Steps must be idempotent: a resumed box runs them all again. */
export interface ProvisionStep {
  readonly name: string;
  /** True when there is nothing to do for this box (no .env given, branch already checked out): not run, not recorded. */
  skip?(ctx: StepContext): boolean;
  /** Does the work; the fields it returns are recorded on the box with the step's timing. */
  run(ctx: StepContext): Promise<BoxPatch | void>;
}

export interface StepDeps {
  store: BoxStore;
  now: () => number;
  reporter: Reporter;
}

/** What the pipeline runs with: the store, the driver, the steps, the clock, a reporter. */
export interface ProvisionDeps extends StepDeps {
  steps: readonly ProvisionStep[];
  /** To remove a VM made for a box that was released while its create ran. */
  driver: VmDriver;
  /** Called once a box's run ended, whatever the outcome: frees what the steps held for it (its SSH connection). */
  settle?: (boxId: string) => Promise<void>;
}

/** How a box's provisioning ended. */
export type ProvisionOutcome =
  /** The box reached standby or ready. */
  | { outcome: 'standby' | 'ready'; box: Box }
  /** A step failed; the box is now failed. */
  | { outcome: 'failed'; box: Box; error: string }
  /** Someone else moved the box (released, failed at its deadline, already provisioned): nothing done. */
  | { outcome: 'lost'; box: Box | null };

/**
 * How a run of steps ended: every step passed, one failed (box untouched; `code` is the CacError code of
 * what failed it, when it was one), or the box moved away.
 */
export type StepsResult = { ok: true; box: Box } | { ok: false; error: string; steps: BoxStep[]; code?: string } | { lost: true };

/** The recorded steps with `step` replacing an earlier run of the same name (a resumed box). */
function withStep(steps: readonly BoxStep[], step: BoxStep): BoxStep[] {
  return [...steps.filter((s) => s.name !== step.name), step];
}

/**
 * Runs `steps` in order on a box that must stay in `state` at `ctx.box.fence`; records each step's
 * timing and patch. An abort of `ctx.signal` that is not the `deadline` rethrows (the box stays as it is).
 */
export async function runSteps(deps: StepDeps, ctx: StepContext, steps: readonly ProvisionStep[], state: BoxState, deadline?: AbortSignal): Promise<StepsResult> {
  const { store, now, reporter } = deps;
  const id = ctx.box.id;
  for (const step of steps) {
    if (step.skip?.(ctx)) continue;
    const startedAt = now();
    const stepId = `${id}:${step.name}`;
    reporter.emit({ type: 'step.start', id: stepId, title: `${id} ${step.name}` });
    let patch: BoxPatch | void;
    try {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      patch = await step.run(ctx);
    } catch (e) {
      const late = deadline?.aborted === true;
      if (!late && (ctx.signal.aborted || isAbortError(e))) {
        reporter.emit({ type: 'step.fail', id: stepId, detail: 'interrupted' });
        throw e;
      }
      const message = late ? 'past its provisioning deadline' : e instanceof Error ? e.message : String(e);
      reporter.emit({ type: 'step.fail', id: stepId, detail: message });
      const record: BoxStep = { name: step.name, startedAt, durationMs: now() - startedAt, ok: false, error: message };
      return { ok: false, error: `${step.name}: ${message}`, steps: withStep(ctx.box.steps, record), ...(!late && isCacError(e) ? { code: e.code } : {}) };
    }
    const record: BoxStep = { name: step.name, startedAt, durationMs: now() - startedAt, ok: true };
    const next = await store.update(id, { state, fence: ctx.box.fence, patch: { ...(patch ?? {}), steps: withStep(ctx.box.steps, record) }, now: now() });
    if (!next) return { lost: true };
    ctx.box = next;
    reporter.emit({ type: 'step.ok', id: stepId });
  }
  return { ok: true, box: ctx.box };
}

/**
 * Provisions box `id` from `requested`, or resumes it in `provisioning` (bumping its fence). An abort by
 * `signal` leaves the box in flight (a reconcile resumes it, or its deadline fails it); its own deadline fails it.
 */
export async function provisionBox(deps: ProvisionDeps, id: string, opts: { signal?: AbortSignal; envPayload?: string } = {}): Promise<ProvisionOutcome> {
  try {
    return await provisionSteps(deps, id, opts);
  } finally {
    await deps.settle?.(id);
  }
}

async function provisionSteps(deps: ProvisionDeps, id: string, opts: { signal?: AbortSignal; envPayload?: string }): Promise<ProvisionOutcome> {
  const { store, now } = deps;
  let box = await store.get(id);
  if (box?.state === 'requested') box = await moveBox(store, box, 'provisioning', { now: now() });
  // a resume takes the box over: the worker that left it may still be running, and its writes (at the old fence) must lose
  else if (box?.state === 'provisioning') box = await store.bumpFence(id, { state: 'provisioning', fence: box.fence, now: now() });
  if (box?.state !== 'provisioning') return { outcome: 'lost', box: box ?? (await store.get(id)) };
  // a deadline past a timer's reach (a long --timeout wait plus provision_timeout) fires at that reach, not at once
  const deadline = AbortSignal.timeout(timerDelay(box.deadlineAt - now()));
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const ctx: StepContext = { box, signal, ...(opts.envPayload !== undefined ? { envPayload: opts.envPayload } : {}) };
  const r = await runSteps(deps, ctx, deps.steps, 'provisioning', deadline);
  if ('lost' in r) return lost(deps, id);
  if (!r.ok) return fail(deps, ctx.box, r.error, r.steps);
  return finish(deps, r.box);
}

/** The box moved away mid-run. Released before its VM was recorded: the releaser may have missed the VM. */
async function lost(deps: ProvisionDeps, id: string): Promise<ProvisionOutcome> {
  const box = await deps.store.get(id);
  if (box && box.vmRef === null && (box.state === 'releasing' || box.state === 'destroyed')) await destroyBoxVms(deps.driver, box);
  return { outcome: 'lost', box };
}

async function finish(deps: StepDeps, box: Box): Promise<ProvisionOutcome> {
  const at = deps.now();
  const cold = box.claimant !== null;
  const to = cold ? 'ready' : 'standby';
  const done = await moveBox(deps.store, box, to, { patch: cold ? { readyAt: at } : {}, now: at });
  if (!done) return { outcome: 'lost', box: await deps.store.get(box.id) };
  const latencyMs = at - box.createdAt;
  await deps.store.recordProvision(box.poolKey, { latencyMs });
  if (cold) await deps.store.recordClaim(box.poolKey, { warm: false, latencyMs });
  await deps.store.resetFailures(box.poolKey);
  return { outcome: to, box: done };
}

async function fail(deps: StepDeps, box: Box, error: string, steps: BoxStep[]): Promise<ProvisionOutcome> {
  const at = deps.now();
  const failed = await moveBox(deps.store, box, 'failed', { patch: { error, steps }, now: at });
  if (!failed) return { outcome: 'lost', box: await deps.store.get(box.id) };
  await deps.store.recordFailure(box.poolKey, at);
  return { outcome: 'failed', box: failed, error };
}
