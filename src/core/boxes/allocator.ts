// AllocatorService (seed API): a box for a repo and branch at once. Warm: ONE atomic claim of a standby
// box, then the after-claim steps, then ready. Cold: a record made for the requester (intent before side
// effect) that holds the driver's capacity when it has a limit (a fleet host), then provisions in the
// background; waitForBox follows it to ready.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacError, isCacError } from '../../errors.js';
import type { BoxStore, ListFilter } from '../../ports/box-store.js';
import { silentReporter, type Reporter } from '../../ports/reporter.js';
import type { VmDriver } from '../../ports/vm-driver.js';
import { DEAD_STATES, poolKeyOf, type Box } from '../../domain/box.js';
import { runSteps, type ProvisionStep } from '../provision/pipeline.js';
import { resolvePool, type ResolvedPool } from './pools.js';
import { capacityError, isRefusal, validateFleetLimits, type FleetLimits } from './limits.js';
import { teardownBox } from './teardown.js';
import { dropRequested, moveBox } from './transition.js';
import { validateBranch, validateClaimant, validateRepoUrl } from '../../domain/validate.js';
import { DURATION_LIMITS } from '../../domain/duration.js';
import type { PoolDefinition } from '../../domain/pool.js';

/** The allocator's dependencies (the rich form; the library's AllocatorService also takes `{ store, vmManager, provisioner }`). */
export interface AllocatorDeps {
  store: BoxStore;
  /** Removes VMs on release. */
  driver: VmDriver;
  /** Starts provisioning a new cold box in the background: a detached worker, or a promise in process. */
  startProvisioning(box: Box, opts: { envPayload?: string }): Promise<void>;
  /** The configured pools, to find the pool a request draws from. */
  pools?: readonly PoolDefinition[];
  /** Checks a request's encrypted .env before any claim (it must decrypt with the loaded keys); none by default. */
  checkEnvPayload?(envPayload: string): Promise<void>;
  /** Steps run on a warm box after its claim (branch switch, .env); none by default. */
  afterClaim?: readonly ProvisionStep[];
  /** Lease of a claimed box; default 8 h. */
  leaseMs?: number;
  /** `[boxes] max_live` and `max_per_claimant`, checked atomically by the store at each claim and create; off by default. */
  limits?: FleetLimits;
  /** Provisioning deadline of a cold box; default 15 min. */
  provisionTimeoutMs?: number;
  /** waitForBox poll interval; default 250 ms. */
  pollMs?: number;
  /** How often a request waiting for capacity tries again; default 1 s. */
  capacityPollMs?: number;
  now?: () => number;
  reporter?: Reporter;
}

/** What `requestBox` asks for. */
export interface BoxRequest {
  repoUrl: string;
  /** Default: the base branch of the repo's first configured pool, else main. */
  branch?: string;
  /** Who the box is for (a ticket, a CI job, a user). */
  requestedBy: string;
  /** The requester's encrypted .env payload. */
  envPayload?: string;
  /** Makes a retried cold request return the same box. */
  idempotencyKey?: string;
  /** This box's lease (`box request --ttl`); default: the allocator's `leaseMs`. */
  leaseMs?: number;
  /**
   * When the driver has no capacity (ERR_NO_CAPACITY), keep trying this long, for capacity or a warm
   * box, instead of failing at once.
   */
  waitForCapacity?: { timeoutMs: number; signal?: AbortSignal };
}

/** What `requestBox` hands out. */
export interface BoxGrant {
  /** A warm box is `ready`; a cold one is `requested` and provisions in the background. */
  box: Box;
  warm: boolean;
}

/** A lease from a library caller: a whole number of ms, positive, within the ceiling of stored durations. */
function validateLeaseMs(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > DURATION_LIMITS.stored.ms) {
    throw new CacError('ERR_INVALID_INPUT', `${field}: ${value} is not a lease (whole ms, more than 0, at most ${DURATION_LIMITS.stored.text})`, { details: { field } });
  }
}

const SETTLED = new Set(['ready', 'standby']);
/** Errors that say the box is not the one cac made: its SSH host key changed, or cac's key is refused. */
const IDENTITY_FAILURES = new Set(['ERR_HOST_KEY_MISMATCH', 'ERR_SSH_AUTH']);

/** Hands out boxes: a warm one claimed from its pool at once, else a cold one provisioned in the background. */
export class AllocatorService {
  private readonly now: () => number;
  private readonly leaseMs: number;

  constructor(private readonly deps: AllocatorDeps) {
    this.now = deps.now ?? Date.now;
    this.leaseMs = deps.leaseMs ?? 8 * 3_600_000;
    if (deps.limits) validateFleetLimits(deps.limits);
  }

  /** A box for the request, at once: warm from the pool when it has one, else a new cold box. */
  async requestBox(req: BoxRequest): Promise<BoxGrant> {
    const started = this.now();
    validateRepoUrl(req.repoUrl, 'repoUrl');
    if (req.branch !== undefined) validateBranch(req.branch, 'branch');
    validateClaimant(req.requestedBy, 'requestedBy');
    const leaseMs = req.leaseMs ?? this.leaseMs;
    validateLeaseMs(leaseMs, 'leaseMs');
    if (req.envPayload !== undefined) await this.deps.checkEnvPayload?.(req.envPayload);
    const pool = resolvePool(this.deps.pools ?? [], req.repoUrl, req.branch);
    const poolKey = poolKeyOf(req.repoUrl, pool.baseBranch);
    // a claimed box whose after-claim steps find it is not the box cac made (host key changed) is failed,
    // never handed out: the next standby box is claimed instead
    const claimWarm = async (): Promise<BoxGrant | undefined> => {
      for (;;) {
        // a claimant at max_per_claimant gets no warm box: the cold path below says so (with the count)
        const claimed = await this.deps.store.claimStandby(poolKey, { claimant: req.requestedBy, leaseMs, now: this.now(), maxPerClaimant: this.deps.limits?.maxPerClaimant ?? null });
        if (!claimed) return undefined;
        const ready = await this.readyWarm(claimed, pool.branch, started, req.envPayload);
        if (ready) return { box: ready, warm: true };
      }
    };
    const warm = await claimWarm();
    if (warm) return warm;

    const until = started + (req.waitForCapacity?.timeoutMs ?? 0);
    const cold = await this.recordCold(req, pool, leaseMs, until, claimWarm);
    if ('warm' in cold) return cold;
    const { box, fresh } = cold;
    // a repeated idempotency key returns the earlier record, whose worker was started back then
    if (!fresh || box.state !== 'requested') return { box, warm: false };
    const instead = await this.reserve(box, claimWarm, until, req.waitForCapacity?.signal);
    if (instead) return instead;
    await this.start(box, req.envPayload);
    return { box, warm: false };
  }

  /**
   * Records the cold box within the claimant's max_per_claimant, the fleet's max_live and the pool's
   * max_instances (one atomic store operation, so racing requests never overfill them). A limit reached
   * fails at once with ERR_NO_CAPACITY naming it, or until `until` tries again, taking a warm box instead
   * when one turns up (resolves with that grant).
   */
  private async recordCold(req: BoxRequest, pool: ResolvedPool, leaseMs: number, until: number, claimWarm: () => Promise<BoxGrant | undefined>): Promise<{ box: Box; fresh: boolean } | BoxGrant> {
    const { store } = this.deps;
    const idempotencyKey = req.idempotencyKey ?? `request:${randomUUID()}`;
    const sig = req.waitForCapacity?.signal ? { signal: req.waitForCapacity.signal } : {};
    for (;;) {
      const now = this.now();
      const input = {
        repoUrl: req.repoUrl,
        baseBranch: pool.baseBranch,
        branch: pool.branch,
        claimant: req.requestedBy,
        leaseExpiresAt: now + leaseMs,
        // a wait for capacity is not provisioning time: reconcile must not fail the box while it waits
        deadlineAt: Math.max(now, until) + (this.deps.provisionTimeoutMs ?? 15 * 60_000),
        now,
      };
      const limits = { maxInstances: pool.maxInstances, maxLive: this.deps.limits?.maxLive ?? null, maxPerClaimant: this.deps.limits?.maxPerClaimant ?? null };
      const box = await store.createBoxIfRoom(input, { idempotencyKey, ...limits });
      if (!isRefusal(box)) return { box, fresh: req.idempotencyKey === undefined || box.createdAt === now };
      if (this.now() >= until) throw capacityError(box, { poolKey: poolKeyOf(req.repoUrl, pool.baseBranch), claimant: req.requestedBy });
      await sleep(Math.max(1, Math.min(this.deps.capacityPollMs ?? 1_000, until - this.now())), undefined, sig);
      const warm = await claimWarm();
      if (warm) return warm;
    }
  }

  /**
   * Holds the driver's capacity (a fleet host) for a new cold box before its worker starts, so two
   * requests for one free host never both get a box. None: fails at once with ERR_NO_CAPACITY, or
   * until `until` tries again, taking a warm box instead when one turns up. A box that got nothing
   * ends `destroyed`, never left in flight. Resolves with the warm grant that replaced it.
   */
  private async reserve(box: Box, claimWarm: () => Promise<BoxGrant | undefined>, until: number, signal?: AbortSignal): Promise<BoxGrant | undefined> {
    const { driver, store } = this.deps;
    if (!driver.reserve) return undefined;
    const sig = signal ? { signal } : {};
    try {
      for (;;) {
        try {
          await driver.reserve({ boxId: box.id }, sig);
          return undefined;
        } catch (e) {
          if (!isCacError(e) || e.code !== 'ERR_NO_CAPACITY' || this.now() >= until) throw e;
        }
        await sleep(Math.max(1, Math.min(this.deps.capacityPollMs ?? 1_000, until - this.now())), undefined, sig);
        const warm = await claimWarm();
        if (warm) {
          await this.drop(box, `a warm box (${warm.box.id}) was taken instead`);
          return warm;
        }
        const current = await store.get(box.id);
        if (current?.state !== 'requested') {
          throw new CacError('ERR_BOX_LOST', `box ${box.id} is ${current?.state ?? 'gone'}: it stopped waiting for capacity`, { hint: 'request again' });
        }
      }
    } catch (e) {
      await this.drop(box, e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /** Ends a cold box that got no capacity: requested → releasing → destroyed, with why (best effort: a reconcile fails it at its deadline otherwise). */
  private async drop(box: Box, error: string): Promise<void> {
    try {
      await dropRequested(this.deps.store, box, error, this.now());
    } catch {
      // the request's own error is the one to report
    }
  }

  private async start(box: Box, envPayload: string | undefined): Promise<void> {
    try {
      await this.deps.startProvisioning(box, envPayload !== undefined ? { envPayload } : {});
    } catch (e) {
      const error = `could not start provisioning: ${e instanceof Error ? e.message : String(e)}`;
      await moveBox(this.deps.store, box, 'failed', { patch: { error }, now: this.now() });
      throw e;
    }
  }

  /**
   * claimed → (after-claim steps) → ready. A failed step fails the box and the request, except a box that
   * is not the one cac made (its host key is not the pinned one, cac's key is refused): that box is
   * failed and undefined returned, so the caller claims another.
   */
  private async readyWarm(claimed: Box, branch: string, started: number, envPayload: string | undefined): Promise<Box | undefined> {
    const { store } = this.deps;
    const reporter = this.deps.reporter ?? silentReporter;
    let box = claimed;
    if (branch !== box.branch) box = (await store.update(box.id, { state: 'claimed', fence: box.fence, patch: { branch }, now: this.now() })) ?? box;
    const ctx = { box, signal: new AbortController().signal, ...(envPayload !== undefined ? { envPayload } : {}) };
    const r = await runSteps({ store, now: this.now, reporter }, ctx, this.deps.afterClaim ?? [], 'claimed');
    if ('lost' in r) throw new CacError('ERR_BOX_LOST', `box ${box.id} was taken away right after its claim`, { hint: 'request again' });
    if (!r.ok) {
      await moveBox(store, box, 'failed', { patch: { error: r.error, steps: r.steps }, now: this.now() });
      if (r.code !== undefined && IDENTITY_FAILURES.has(r.code)) {
        reporter.emit({ type: 'warning', message: `box ${box.id} failed after its claim: ${r.error}`, hint: 'it is kept for a while as evidence; another box is claimed' });
        return undefined;
      }
      throw new CacError('ERR_BOX_FAILED', `box ${box.id} failed after its claim: ${r.error}`, { hint: 'request again; the failed box is kept for a while as evidence' });
    }
    const at = this.now();
    const ready = await moveBox(store, box, 'ready', { patch: { readyAt: at }, now: at });
    if (!ready) throw new CacError('ERR_BOX_LOST', `box ${box.id} was taken away right after its claim`, { hint: 'request again' });
    await store.recordClaim(ready.poolKey, { warm: true, latencyMs: at - started });
    return ready;
  }

  /** Resolves when the box is ready (or standby, for a pool box); throws when it failed, is gone, or on timeout. */
  async waitForBox(id: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<Box> {
    const until = this.now() + opts.timeoutMs;
    for (;;) {
      const box = await this.getBox(id);
      if (SETTLED.has(box.state)) return box;
      if (DEAD_STATES.includes(box.state)) {
        throw new CacError('ERR_BOX_FAILED', `box ${id} is ${box.state}${box.error ? `: ${box.error}` : ''}`, { hint: `see 'cac box show ${id}'`, details: { box } });
      }
      if (this.now() >= until) {
        throw new CacError('ERR_BOX_TIMEOUT', `box ${id} is still ${box.state} after ${Math.round(opts.timeoutMs / 1000)} s`, {
          hint: `it keeps provisioning; wait again with 'cac box show ${id} --wait'`,
        });
      }
      await sleep(Math.min(this.deps.pollMs ?? 250, Math.max(1, until - this.now())), undefined, opts.signal ? { signal: opts.signal } : {});
    }
  }

  /** Releases the box: its VM is removed and the record ends `destroyed`. Releasing a destroyed box is a no-op. */
  async releaseBox(id: string, opts: { signal?: AbortSignal; reason?: string } = {}): Promise<Box> {
    const box = await this.getBox(id);
    const how = { follow: true, reason: opts.reason ?? 'released on request', ...(opts.signal ? { signal: opts.signal } : {}) };
    const done = await teardownBox({ store: this.deps.store, driver: this.deps.driver, now: this.now }, box, how);
    return done ?? box;
  }

  /**
   * Sets a ready box's lease to `leaseMs` from now (an expired lease too, while the box is not yet
   * released). With `claimant`, only the box's claimant may, unless `force`. Two compare-and-sets: the
   * lease at the fence seen, then a fence bump, so a reconcile that decided on the old lease loses its
   * release, and a release that won in between makes the renewal fail (ERR_LEASE_LOST), never both succeed.
   */
  async renewLease(id: string, leaseMs = this.leaseMs, opts: { claimant?: string; force?: boolean } = {}): Promise<Box> {
    validateLeaseMs(leaseMs, 'leaseMs');
    const box = await this.getBox(id);
    if (opts.claimant !== undefined && !opts.force && box.claimant !== opts.claimant) {
      throw new CacError('ERR_NOT_CLAIMANT', `box ${id} is held by ${box.claimant ?? 'nobody'}, not ${opts.claimant}: only its claimant renews its lease`, {
        hint: box.claimant ? `renew as its claimant (--for ${box.claimant}), or with --force` : 'request a box of your own',
        details: { claimant: box.claimant },
      });
    }
    if (box.state === 'requested' || box.state === 'provisioning' || box.state === 'claimed') {
      throw new CacError('ERR_BOX_NOT_PROVISIONED', `box ${id} is ${box.state}: its lease is renewed once it is ready`, { hint: `wait for it: 'cac box show ${id} --wait'` });
    }
    const now = this.now();
    const lost = () => new CacError('ERR_LEASE_LOST', `box ${id} is ${box.state === 'ready' ? 'being released' : box.state}: its lease cannot be renewed`, { hint: 'request a new box' });
    if (box.state !== 'ready') throw lost();
    const leased = await this.deps.store.update(id, { state: 'ready', fence: box.fence, patch: { leaseExpiresAt: now + leaseMs }, now });
    const renewed = leased && (await this.deps.store.bumpFence(id, { state: 'ready', fence: box.fence, now }));
    if (!renewed) throw lost();
    return renewed;
  }

  /** One box; ERR_BOX_NOT_FOUND when there is none. */
  async getBox(id: string): Promise<Box> {
    const box = await this.deps.store.get(id);
    if (!box) throw new CacError('ERR_BOX_NOT_FOUND', `no box ${id}`, { hint: "see 'cac box list'" });
    return box;
  }

  /** Boxes matching the filter, oldest first. */
  listBoxes(filter: ListFilter = {}): Promise<Box[]> {
    return this.deps.store.list(filter);
  }
}
