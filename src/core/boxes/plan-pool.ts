// Reconcile = snapshot → pure plan → apply (docs/architecture.md rule 5). These planners only decide; the
// reconciler applies destroys, fails and releases first, then creates.
import type { PoolHealth } from '../../ports/box-store.js';
import { byAge, seesVm, type Box, type BoxState, type VmLocation } from '../../domain/box.js';
import { heldByMaxLive } from './limits.js';

/** A pool with its timers and limits, as the planner reads it. */
export interface PoolSpec {
  repoUrl: string;
  baseBranch: string;
  minStandby: number;
  maxInstances: number;
  /** Creates per reconcile at most; default 5. */
  maxBatch?: number;
  /** Also bounds boxes already in flight, so a shortened timeout applies to them. */
  provisionTimeoutMs: number;
  /** How long a failed box is kept as evidence before it is destroyed. */
  failedRetentionMs: number;
  /** N failures in a row → no creates until lastFailureAt + N × this. */
  backoffIntervalMs: number;
  /** This many failures in a row stop creates until a person resumes the pool; default 3. */
  hardFailureLimit?: number;
  /** `[boxes] max_live`: live boxes (requested … ready) across every pool; null or absent: off. */
  maxLive?: number | null;
}

/** One consistent read of a pool: its box records and its health. */
export interface PoolSnapshot {
  boxes: readonly Box[];
  health: PoolHealth;
  /** Held boxes this round measured idle past `[boxes] idle_timeout` (plan-idle.ts), with their release reasons. */
  idle?: readonly PlannedAction[];
  /** Live boxes (requested … ready) of every other pool: what max_live leaves this one. */
  elsewhere?: number;
}

/** One planned change of a box, with why. */
export interface PlannedAction {
  id: string;
  reason: string;
}

/** What a reconcile will do to one pool: creates, fails, releases, destroys. */
export interface PoolPlan {
  /** New boxes to record and provision. */
  creates: number;
  /** Failed boxes past retention: failed → releasing, destroy the VM, → destroyed. */
  destroys: PlannedAction[];
  /** Boxes past their provisioning deadline: mark failed (each counts as a pool failure). */
  fails: PlannedAction[];
  /** Claimed or ready boxes past their lease, or idle past `[boxes] idle_timeout`: release them. */
  releases: PlannedAction[];
  /** Why no box may be created now (paused, hard limit, backoff). */
  blocked?: string;
  /** Set when `[boxes] max_live` holds creates back: `held by max_live: …`. */
  held?: string;
  /** The pool's live boxes once the plan's removals are done (standby, in flight, held). */
  live: number;
  /** What the numbers were, for a dry run. */
  notes: string[];
}

const IN_FLIGHT: readonly BoxState[] = ['requested', 'provisioning'];
const HELD: readonly BoxState[] = ['claimed', 'ready'];

/** Why creates must wait, if they must. Failures planned in this round count as if already recorded. */
function blockedReason(spec: PoolSpec, health: PoolHealth, newFailures: number, now: number): string | undefined {
  const failures = health.consecutiveFailures + newFailures;
  const lastFailureAt = newFailures > 0 ? now : health.lastFailureAt;
  const limit = spec.hardFailureLimit ?? 3;
  if (health.paused) return 'paused: resume the pool to create boxes again';
  if (failures >= limit) return `hard limit: ${failures} failures in a row (limit ${limit}); resume the pool after fixing the cause`;
  if (failures > 0 && lastFailureAt !== null) {
    const until = lastFailureAt + failures * spec.backoffIntervalMs;
    if (now < until) return `backoff: ${failures} failures in a row; next create after ${new Date(until).toISOString()}`;
  }
  return undefined;
}

/** The reason recorded on a box released because its lease ran out. */
function leaseExpired(b: Pick<Box, 'state' | 'claimant' | 'leaseExpiresAt'>): string {
  return `lease of ${b.claimant ?? '?'} expired at ${new Date(b.leaseExpiresAt ?? 0).toISOString()} (${b.state})`;
}

/** Destroyed records last written more than `keepMs` ago: what reconcile purges (`[boxes] keep_destroyed`). */
export function planPurge(records: readonly Box[], now: number, keepMs: number): string[] {
  return [...records]
    .sort(byAge)
    .filter((b) => b.state === 'destroyed' && b.updatedAt < now - keepMs)
    .map((b) => b.id);
}

/** What one reconcile should do for one pool. Never plans more than maxInstances live boxes, nor more than maxLive across all pools. */
export function planPool(snapshot: PoolSnapshot, spec: PoolSpec, now: number): PoolPlan {
  const destroys: PlannedAction[] = [];
  const fails: PlannedAction[] = [];
  const releases: PlannedAction[] = [];
  let standby = 0;
  let inFlight = 0;
  let held = 0;
  const idle = new Map((snapshot.idle ?? []).map((a) => [a.id, a.reason]));
  for (const b of [...snapshot.boxes].sort(byAge)) {
    // an updating box is a standby box held while it is brought to its branch head: still supply
    if (b.state === 'standby' || b.state === 'updating') standby += 1;
    else if (b.state === 'failed') {
      const age = now - b.updatedAt;
      if (age >= spec.failedRetentionMs) destroys.push({ id: b.id, reason: `failed ${age} ms ago (retention ${spec.failedRetentionMs} ms)` });
    } else if (IN_FLIGHT.includes(b.state)) {
      if (now >= Math.min(b.deadlineAt, b.createdAt + spec.provisionTimeoutMs)) fails.push({ id: b.id, reason: `still ${b.state} past its provisioning deadline` });
      // a cold box made for its requester is live but never standby: it is not supply
      else if (b.claimant !== null) held += 1;
      else inFlight += 1;
    } else if (HELD.includes(b.state)) {
      const idleReason = idle.get(b.id);
      if (b.leaseExpiresAt !== null && now >= b.leaseExpiresAt) releases.push({ id: b.id, reason: leaseExpired(b) });
      else if (idleReason !== undefined) releases.push({ id: b.id, reason: idleReason });
      else held += 1;
    }
  }
  // boxes being failed or released are neither supply nor live: the plan removes them first
  const live = standby + inFlight + held;

  const wanted = Math.max(0, spec.minStandby - standby - inFlight);
  const room = Math.max(0, spec.maxInstances - live);
  const fleetLive = (snapshot.elsewhere ?? 0) + live;
  const fleetRoom = spec.maxLive === null || spec.maxLive === undefined ? Number.POSITIVE_INFINITY : Math.max(0, spec.maxLive - fleetLive);
  const batch = spec.maxBatch ?? 5;
  const blocked = blockedReason(spec, snapshot.health, fails.length, now);
  const allowed = Math.min(wanted, room, fleetRoom);
  const creates = blocked ? 0 : Math.min(allowed, batch);
  // counted as they will be once this round's creates exist
  const heldBack = !blocked && Math.min(wanted, room) > fleetRoom ? heldByMaxLive(spec.maxLive ?? 0, fleetLive + creates) : undefined;

  const notes = [`supply ${standby + inFlight} (standby ${standby}, in flight ${inFlight}) of min ${spec.minStandby}; live ${live} of max ${spec.maxInstances}`];
  if (spec.minStandby > spec.maxInstances) notes.push(`min_standby ${spec.minStandby} exceeds max_instances ${spec.maxInstances}; capped at max`);
  if (!blocked && wanted > room) notes.push(`${wanted - room} fewer creates: max_instances reached`);
  if (heldBack) notes.push(`${Math.min(wanted, room) - fleetRoom} fewer creates: ${heldBack}`);
  if (!blocked && allowed > batch) notes.push(`${allowed - batch} creates left for the next round (batch ${batch})`);
  return { creates, destroys, fails, releases, ...(blocked ? { blocked } : {}), ...(heldBack ? { held: heldBack } : {}), live, notes };
}

/** A VM the driver lists under cac's label, with the box id it was tagged with. */
export interface TaggedVm {
  vmRef: string;
  boxId: string;
  createdAt: number;
}

/** VMs with no record to destroy, and records whose VM is gone to fail. */
export interface OrphanPlan {
  /** VMs with no live record, older than the grace period: destroy them. */
  destroyVms: Array<{ vmRef: string; reason: string }>;
  /** Records whose VM is gone: mark them failed. */
  failBoxes: PlannedAction[];
}

const HAS_VM: readonly BoxState[] = ['provisioning', 'standby', 'updating', 'claimed', 'ready'];

/**
 * Orphans in both directions (docs/architecture.md rule 7). Read `records` BEFORE listing `vms`, so a VM recorded
 * in a record is always in the listing; a VM newer than the records is protected by `graceMs`. `here`: where
 * this host's driver makes VMs; a record whose VM lives elsewhere (another host's engine) is never judged
 * gone for being missing from this host's listing.
 */
export function planOrphans(vms: readonly TaggedVm[], records: readonly Box[], now: number, graceMs: number, here: VmLocation): OrphanPlan {
  const byId = new Map(records.map((r) => [r.id, r]));
  const orphanReason = (vm: TaggedVm): string | undefined => {
    const record = byId.get(vm.boxId);
    if (!record) return `no record for box ${vm.boxId || '(none)'}`;
    if (record.state === 'destroyed') return `box ${record.id} is destroyed`;
    if (record.vmRef !== null && record.vmRef !== vm.vmRef) return `box ${record.id} uses ${record.vmRef}`;
    return undefined;
  };
  const destroyVms = vms.flatMap((vm) => {
    const reason = orphanReason(vm);
    return reason !== undefined && now - vm.createdAt >= graceMs ? [{ vmRef: vm.vmRef, reason }] : [];
  });
  const listed = new Set(vms.map((vm) => vm.vmRef));
  const failBoxes = [...records]
    .sort(byAge)
    .filter((r) => HAS_VM.includes(r.state) && r.vmRef !== null && seesVm(r, here) && !listed.has(r.vmRef))
    .map((r) => ({ id: r.id, reason: `its VM ${r.vmRef ?? ''} is gone` }));
  return { destroyVms, failBoxes };
}
