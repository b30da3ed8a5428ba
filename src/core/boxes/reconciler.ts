// DefaultPoolManager (seed API): reconcile = lock → snapshot → pure plan → apply (docs/architecture.md rules 4–7).
// The lock holder also resumes pool boxes left in flight: only a reconcile provisions pool boxes, so a
// pool box in flight that this round did not start was abandoned by a reconcile that died.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { interrupted, isAbortError } from '../../errors.js';
import type { BoxStore } from '../../ports/box-store.js';
import { silentReporter, type Reporter } from '../../ports/reporter.js';
import type { VmDriver } from '../../ports/vm-driver.js';
import { INSTANCE_STATES, LIVE_STATES, poolKeyOf, type Box } from '../../domain/box.js';
import { isLockLost, withLeaseLock } from './lease-lock.js';
import { validateFleetLimits } from './limits.js';
import { planOrphans, planPool, planPurge, type OrphanPlan, type PlannedAction, type PoolPlan } from './plan-pool.js';
import { poolStatus, type PlanTimers } from './pool-status.js';
import { allPools } from './pools.js';
import { provisionBox, type ProvisionStep } from '../provision/pipeline.js';
import { vmLocationOf } from '../provision/vm-steps.js';
import { applyHygiene, applyPoolPlan, applyStandbyChecks, type ApplyDeps, type HygieneApplied, type PoolApplied, type StandbyCheck } from './reconcile-apply.js';
import type { ActivityProbe } from './activity-probe.js';
import { measureIdle } from './idle-apply.js';
import { teardownBox } from './teardown.js';
import { applyFreshness, type FreshnessApplied, type FreshnessDeps } from './freshen-apply.js';
import { validateBranch, validateRepoUrl } from '../../domain/validate.js';
import { validatePools, type PoolDefinition, type PoolStatus } from '../../domain/pool.js';

/** The reconcile's timers and limits; the defaults are the config's. */
export interface PoolManagerOptions {
  /** Provisioning deadline of a new box; default 15 min. */
  provisionTimeoutMs?: number;
  /** Failed boxes are kept this long as evidence; default 1 h. */
  failedRetentionMs?: number;
  /** N failures in a row wait N × this before the next create; default 60 s (the reconcile interval). */
  backoffIntervalMs?: number;
  /** This many failures in a row stop creates until the pool is resumed; default 3. */
  hardFailureLimit?: number;
  /** Creates per pool per round; default 5. */
  maxBatch?: number;
  /** VMs tagged by cac with no record are destroyed once older than this; default 10 min. */
  orphanGraceMs?: number;
  /** Lease of the reconcile lock; default 30 s, extended every third of it. */
  lockTtlMs?: number;
  /** Boxes provisioned at once; default 4. */
  concurrency?: number;
  /** Destroyed records are kept this long, then purged (their totals stay in the pool stats); default 7 days. */
  keepDestroyedMs?: number;
  /** A held box measured idle this long (`[boxes] idle_timeout`, needs `probeActivity`) is released; default: off. */
  idleTimeoutMs?: number;
  /** `[boxes] max_live`: creates stop once this many boxes (requested … ready) are live across every pool; null (default): off. */
  maxLive?: number | null;
}

/** The pool manager's dependencies (the rich form; the library's DefaultPoolManager also takes `{ store, vmManager, allocator }`). */
export interface PoolManagerDeps {
  store: BoxStore;
  driver: VmDriver;
  /** The provisioning steps (vm_create, ssh_ready, …). */
  steps: readonly ProvisionStep[];
  /** Called when a box's provisioning ended (frees its SSH connection). */
  settle?: (boxId: string) => Promise<void>;
  /** Asked of every standby box each round (not on a dry run): one that fails is failed and replaced. */
  checkStandby?: StandbyCheck;
  /** Measures a held box's use on the box, each round (not on a dry run), when `idleTimeoutMs` is set. */
  probeActivity?: ActivityProbe;
  /** Keeps configured pools at their branch head each round (not on a dry run); absent: boxes stay at the commit they were made at. */
  freshness?: FreshnessDeps;
  options?: PoolManagerOptions;
  now?: () => number;
  reporter?: Reporter;
}

/** How one box's provisioning in a reconcile ended. */
export interface ProvisionReport {
  id: string;
  outcome: 'standby' | 'ready' | 'failed' | 'lost' | 'interrupted';
  /** Left in flight by an earlier reconcile, resumed in this one. */
  resumed: boolean;
  error?: string;
}

/** One pool in a reconcile: its plan and what was applied. */
export interface PoolReport extends PoolDefinition {
  poolKey: string;
  /** In [[pools]]; other pools (of cold boxes) only get their removals. */
  configured: boolean;
  plan: PoolPlan;
  /**
   * `unfit`: standby boxes failed this round because they did not pass their check (pinned SSH host key, engine).
   * `idle`: held boxes released this round for being idle past `[boxes] idle_timeout` (also in `released`).
   */
  applied?: PoolApplied & { unfit: PlannedAction[]; idle: PlannedAction[]; provisioned: ProvisionReport[]; freshness?: FreshnessApplied };
}

/** One reconcile: its outcome, the orphans, each pool's plan and what was applied. */
export interface ReconcileResult {
  outcome: 'success' | 'warnings' | 'skipped';
  dryRun: boolean;
  /** Why nothing was done (skipped). */
  reason?: string;
  orphans: OrphanPlan & { releasing: string[] };
  hygiene?: HygieneApplied;
  /** Destroyed records past `keepDestroyedMs`: purged (on a dry run: those that would be). */
  purged: string[];
  pools: PoolReport[];
  warnings: string[];
  durationMs: number;
}

const LOCK = 'reconcile';

export class DefaultPoolManager {
  private readonly now: () => number;
  private readonly reporter: Reporter;
  private readonly o: Required<Omit<PoolManagerOptions, 'idleTimeoutMs' | 'maxLive'>> & Pick<PoolManagerOptions, 'idleTimeoutMs'> & { maxLive: number | null };

  constructor(private readonly deps: PoolManagerDeps) {
    this.now = deps.now ?? Date.now;
    this.reporter = deps.reporter ?? silentReporter;
    const o = deps.options ?? {};
    this.o = {
      provisionTimeoutMs: o.provisionTimeoutMs ?? 15 * 60_000,
      failedRetentionMs: o.failedRetentionMs ?? 3_600_000,
      backoffIntervalMs: o.backoffIntervalMs ?? 60_000,
      hardFailureLimit: o.hardFailureLimit ?? 3,
      maxBatch: o.maxBatch ?? 5,
      orphanGraceMs: o.orphanGraceMs ?? 10 * 60_000,
      lockTtlMs: o.lockTtlMs ?? 30_000,
      concurrency: o.concurrency ?? 4,
      keepDestroyedMs: o.keepDestroyedMs ?? 7 * 86_400_000,
      ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
      maxLive: o.maxLive ?? null,
    };
    if (this.o.maxLive !== null) validateFleetLimits({ maxLive: this.o.maxLive });
  }

  /** One reconcile of the given pools (and of the removals due in any other pool). A dry run changes nothing. */
  async reconcilePools(pools: readonly PoolDefinition[], opts: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<ReconcileResult> {
    return this.reconcile(validatePools(pools), opts);
  }

  /** reconcilePools for pools already validated (watch checks them once, not every round). */
  private async reconcile(pools: readonly PoolDefinition[], opts: { dryRun?: boolean; signal?: AbortSignal }): Promise<ReconcileResult> {
    const started = this.now();
    if (opts.dryRun) return this.round(pools, started, { dry: true, ...(opts.signal ? { signal: opts.signal } : {}) });
    const sig = opts.signal ? { signal: opts.signal } : {};
    // a dead holder's lease runs out within one TTL: waiting a little longer always outlives it
    const waitMs = this.o.lockTtlMs + 500;
    const run = await withLeaseLock(this.deps.store, LOCK, { ttlMs: this.o.lockTtlMs, waitMs, ...sig }, ({ lost, assertHeld }) =>
      this.round(pools, started, { dry: false, signal: opts.signal ? AbortSignal.any([opts.signal, lost]) : lost, lost, assertHeld, ...(opts.signal ? { user: opts.signal } : {}) }),
    );
    if (run.taken) return run.value;
    const reason = 'another reconcile holds the lock';
    return { outcome: 'skipped', dryRun: false, reason, orphans: { destroyVms: [], failBoxes: [], releasing: [] }, purged: [], pools: [], warnings: [], durationMs: this.now() - started };
  }

  private async round(pools: readonly PoolDefinition[], started: number, run: RoundRun): Promise<ReconcileResult> {
    const { store, driver } = this.deps;
    const warnings: string[] = [];
    const sig = run.signal ? { signal: run.signal } : {};
    // records BEFORE VMs: a VM a record names is then always in the listing (planOrphans)
    const records = await store.list({ states: LIVE_STATES });
    // a dry run only looks: the driver records nothing either (fleet host health)
    const vms = await driver.list({ ...sig, ...(run.dry ? { readOnly: true } : {}) });
    const tagged = vms.map((vm) => ({ vmRef: vm.vmRef, boxId: vm.boxId ?? '', createdAt: vm.createdAt }));
    const orphans = planOrphans(tagged, records, this.now(), this.o.orphanGraceMs, await vmLocationOf(driver, run.signal));
    const releasing = records.filter((r) => r.state === 'releasing').map((r) => r.id);
    const applyDeps = { store, driver, now: this.now, reporter: this.reporter, ...(run.assertHeld ? { assertHeld: run.assertHeld } : {}) };
    let hygiene: HygieneApplied | undefined;
    let purged: string[] = [];
    const reports: PoolReport[] = [];
    // a lost lock stops the apply phase at the next side effect: what was done stays, the rest waits for the next holder
    try {
      hygiene = run.dry ? undefined : await applyHygiene(applyDeps, orphans, records, warnings, run.signal);

      // the configured pools, plus every other pool with boxes (for their fails, releases and destroys)
      const specs = allPools(pools, records).map(({ pool, configured }) => ({ spec: { ...this.timers(), ...pool }, configured }));
      const jobs: Array<{ report: PoolReport; id: string; resumed: boolean }> = [];
      const round = randomUUID();
      // max_live is fleet-wide: each pool's plan sees what the others hold, its own creates included as they happen
      const liveByPool = countLive(records);
      for (const { spec, configured } of specs) {
        const poolKey = poolKeyOf(spec.repoUrl, spec.baseBranch);
        const [listed, health] = await Promise.all([store.list({ poolKey, states: LIVE_STATES }), store.getPoolHealth(poolKey)]);
        let boxes = listed;
        // standby boxes that are no longer what cac made are failed before planning, so this round replaces them
        const unfit = run.dry || !this.deps.checkStandby ? [] : await applyStandbyChecks(applyDeps, boxes, this.deps.checkStandby, this.o.concurrency, run.signal);
        if (unfit.length) boxes = await store.list({ poolKey, states: LIVE_STATES });
        // behind standby boxes are brought to the head before planning: those replaced or failed are made again this round
        const fresh =
          run.dry || !configured || !this.deps.freshness ? undefined : await applyFreshness(applyDeps, this.deps.freshness, spec, boxes, { concurrency: this.o.concurrency, warnings, ...sig });
        if (fresh && fresh.head !== null) boxes = await store.list({ poolKey, states: LIVE_STATES });
        const idle = run.dry ? [] : await this.measureIdle(applyDeps, boxes, warnings, run.signal);
        const elsewhere = [...liveByPool].reduce((sum, [key, n]) => (key === poolKey ? sum : sum + n), 0);
        const plan = planPool({ boxes, health, idle, elsewhere }, spec, this.now());
        const { repoUrl, baseBranch, minStandby, maxInstances } = spec;
        const report: PoolReport = { repoUrl, baseBranch, minStandby, maxInstances, poolKey, configured, plan };
        reports.push(report);
        if (run.dry) {
          liveByPool.set(poolKey, plan.live + plan.creates);
          continue;
        }
        const applied = await applyPoolPlan(applyDeps, spec, boxes, plan, round, warnings, run.signal);
        liveByPool.set(poolKey, plan.live + applied.created.length);
        const released = new Set(applied.released);
        report.applied = { ...applied, unfit, idle: idle.filter((a) => released.has(a.id)), provisioned: [], ...(fresh ? { freshness: fresh } : {}) };
        const failedNow = new Set(applied.failed);
        for (const b of boxes) if (isAbandoned(b) && !failedNow.has(b.id)) jobs.push({ report, id: b.id, resumed: true });
        for (const id of applied.created) jobs.push({ report, id, resumed: false });
      }
      if (jobs.length) await this.provisionAll(jobs, warnings, run);
      purged = await this.purge(run);
    } catch (e) {
      // the user's interrupt, or any other error, propagates; only a lost lock ends the round quietly
      if (!run.lost?.aborted || run.user?.aborted) throw e;
    }
    if (run.lost?.aborted) warnings.push('lost the reconcile lock mid-round; the next reconcile does the rest and resumes boxes left in flight');
    const outcome = warnings.length ? 'warnings' : 'success';
    return { outcome, dryRun: run.dry, orphans: { ...orphans, releasing }, ...(hygiene ? { hygiene } : {}), purged, pools: reports, warnings, durationMs: this.now() - started };
  }

  // held boxes idle past idle_timeout, measured on each box (off unless both the timeout and a probe are given)
  private async measureIdle(deps: ApplyDeps, boxes: readonly Box[], warnings: string[], signal?: AbortSignal): Promise<PlannedAction[]> {
    const { idleTimeoutMs, concurrency } = this.o;
    if (idleTimeoutMs === undefined || !this.deps.probeActivity) return [];
    return measureIdle(deps, boxes, this.deps.probeActivity, { idleTimeoutMs, concurrency, ...(signal ? { signal } : {}) }, warnings);
  }

  // destroyed records past keep_destroyed go, their totals kept in the pool stats (one store operation)
  private async purge(run: RoundRun): Promise<string[]> {
    const before = this.now() - this.o.keepDestroyedMs;
    if (run.dry) return planPurge(await this.deps.store.list({ states: ['destroyed'] }), this.now(), this.o.keepDestroyedMs);
    await run.assertHeld?.();
    const purged = await this.deps.store.purgeDestroyed(before);
    if (purged.length) this.reporter.emit({ type: 'info', message: `purged ${purged.length} destroyed box record(s) older than ${Math.round(this.o.keepDestroyedMs / 1000)} s` });
    return purged;
  }

  /** Per pool: boxes by state, health, claims and latencies (configured pools first). */
  status(pools: readonly PoolDefinition[]): Promise<PoolStatus[]> {
    return poolStatus(this.deps.store, validatePools(pools), this.timers(), this.now());
  }

  /** Stops creates for the pool (removals still run). */
  async pausePool(repoUrl: string, baseBranch: string): Promise<void> {
    await this.deps.store.setPaused(poolKeyOf(validateRepoUrl(repoUrl, 'repoUrl'), validateBranch(baseBranch, 'baseBranch')), true);
  }

  /** Resumes creates and clears the consecutive failures (after a person fixed the cause). */
  async resumePool(repoUrl: string, baseBranch: string): Promise<void> {
    const key = poolKeyOf(validateRepoUrl(repoUrl, 'repoUrl'), validateBranch(baseBranch, 'baseBranch'));
    await this.deps.store.setPaused(key, false);
    await this.deps.store.resetFailures(key);
  }

  /** Reconciles every `intervalMs` until `signal` aborts; `onRound` gets each result. A failed round is a warning. */
  async watch(pools: readonly PoolDefinition[], opts: { intervalMs: number; signal: AbortSignal; onRound: (r: ReconcileResult) => void }): Promise<void> {
    validatePools(pools);
    while (!opts.signal.aborted) {
      try {
        opts.onRound(await this.reconcile(pools, { signal: opts.signal }));
      } catch (e) {
        if (opts.signal.aborted || isAbortError(e)) throw e;
        this.reporter.emit({ type: 'warning', message: `reconcile failed: ${e instanceof Error ? e.message : String(e)}`, hint: 'the next round tries again' });
      }
      await sleep(opts.intervalMs, undefined, { signal: opts.signal });
    }
  }

  /** The planner's timers and limits from the options. */
  private timers(): PlanTimers {
    const { provisionTimeoutMs, failedRetentionMs, backoffIntervalMs, hardFailureLimit, maxBatch, maxLive } = this.o;
    return { provisionTimeoutMs, failedRetentionMs, backoffIntervalMs, hardFailureLimit, maxBatch, maxLive };
  }

  private async provisionAll(jobs: Array<{ report: PoolReport; id: string; resumed: boolean }>, warnings: string[], run: RoundRun): Promise<void> {
    const limit = pLimit(this.o.concurrency);
    const { store, driver, steps, settle } = this.deps;
    const deps = { store, driver, steps, now: this.now, reporter: this.reporter, ...(settle ? { settle } : {}) };
    await Promise.all(
      jobs.map((job) =>
        limit(async () => {
          const entry: ProvisionReport = { id: job.id, outcome: 'interrupted', resumed: job.resumed };
          job.report.applied?.provisioned.push(entry);
          if (run.signal?.aborted) return;
          try {
            await run.assertHeld?.();
            const r = await provisionBox(deps, job.id, run.signal ? { signal: run.signal } : {});
            entry.outcome = r.outcome;
            if (r.outcome === 'failed') {
              entry.error = r.error;
              warnings.push(`box ${job.id} failed: ${r.error}`);
            }
          } catch (e) {
            // an abort (the user's, or a lost lock's) ends this box's part of the round; anything else propagates
            if (!(isAbortError(e) || isLockLost(e) || run.signal?.aborted)) throw e;
            entry.outcome = 'interrupted';
          }
        }),
      ),
    );
    // a lost lock stops this round quietly (the caller warns): the next holder resumes what is left in flight
    if (!run.lost?.aborted && run.signal?.aborted) {
      // the user's interrupt: no worker is left to finish these boxes, so take them down, then stop
      await this.takeDown(jobs.map((j) => j.id));
      throw interrupted();
    }
  }

  /** Tears down those of the boxes still requested or provisioning (best effort: a later reconcile sweeps the rest). */
  private async takeDown(ids: readonly string[]): Promise<void> {
    const deps = { store: this.deps.store, driver: this.deps.driver, now: this.now };
    for (const id of ids) {
      const box = await deps.store.get(id).catch(() => null);
      if (box?.state !== 'requested' && box?.state !== 'provisioning') continue;
      const done = await teardownBox(deps, box, { reason: 'interrupted while provisioning' }).catch(() => null);
      if (done?.state === 'destroyed') this.reporter.emit({ type: 'info', message: `took down ${id}: interrupted while provisioning` });
    }
  }
}

/** How a round runs: a dry run, or under the lock with its signals and fencing check. */
interface RoundRun {
  dry: boolean;
  /** The user's signal and the lost lock together. */
  signal?: AbortSignal;
  /** The user's own signal (Ctrl-C). */
  user?: AbortSignal;
  /** Aborted when the lock is lost. */
  lost?: AbortSignal;
  /** The lock's fencing check before each side effect. */
  assertHeld?: () => Promise<void>;
}

/** Live boxes (requested … ready) per pool. */
function countLive(records: readonly Box[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of records) if (INSTANCE_STATES.includes(b.state)) counts.set(b.poolKey, (counts.get(b.poolKey) ?? 0) + 1);
  return counts;
}

/** A pool box (no claimant) in flight: only a reconcile provisions those, so the lock holder owns it. */
function isAbandoned(b: Box): boolean {
  return b.claimant === null && (b.state === 'requested' || b.state === 'provisioning');
}
