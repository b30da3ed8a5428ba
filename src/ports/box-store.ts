// BoxStore: where boxes and pools are recorded, and the atomic operations the allocator and the
// reconciler need (docs/architecture.md rules 1, 2, 4, 6). SQLite (transactions) and Redis (Lua) implement it and
// pass one contract suite (test/integration/store/contract.ts).
import type { Box, BoxPatch, BoxState, NewBox } from '../domain/box.js';

/** Boxes of one pool by state. */
export type PoolCounts = Record<BoxState, number>;

/** Failure bookkeeping that drives backoff and the hard limit (docs/architecture.md rule 6). */
export interface PoolHealth {
  consecutiveFailures: number;
  lastFailureAt: number | null;
  paused: boolean;
}

/** Counters behind `cac pool status`. */
export interface PoolStats {
  warmClaims: number;
  coldClaims: number;
  claimLatencyMsTotal: number;
  claimCount: number;
  provisionLatencyMsTotal: number;
  provisionCount: number;
  /** Destroyed records purged from the pool (`[boxes] keep_destroyed`), and their box time (created → destroyed), kept as totals. */
  purgedBoxes: number;
  purgedBoxMsTotal: number;
}

/** Who claims a standby box, and for how long. */
export interface ClaimOptions {
  /** Who holds the box (a user or session id). */
  claimant: string;
  /** The lease lasts this long from `now`. */
  leaseMs: number;
  now: number;
  /** `[boxes] max_per_claimant`: no claim while the claimant already holds this many boxes (CLAIMANT_STATES); absent or null: off. */
  maxPerClaimant?: number | null;
}

/**
 * Limits a create is checked against inside the store's one atomic operation (absent or null: off).
 * Counted: boxes in INSTANCE_STATES (requested … ready) of the pool, of every pool, and boxes in
 * CLAIMANT_STATES held by the new box's claimant (a cold box; a pool box has none).
 */
export interface CreateLimits {
  /** `[[pools]] max_instances`: live boxes of the new box's pool. */
  maxInstances?: number | null;
  /** `[boxes] max_live`: live boxes across every pool of the store. */
  maxLive?: number | null;
  /** `[boxes] max_per_claimant`: boxes the claimant holds, in any pool. */
  maxPerClaimant?: number | null;
}

/** The limit a create ran into (checked in this order: max_per_claimant, max_live, max_instances), and the count the store saw. */
export interface LimitRefusal {
  refused: 'max_per_claimant' | 'max_live' | 'max_instances';
  max: number;
  count: number;
}

/** A compare-and-set state change of a box. */
export interface TransitionOptions {
  /** The state the caller believes the box is in; a mismatch is a lost race. */
  from: BoxState;
  /** When given, the box's fence must equal it (a write from before a reassignment loses). */
  fence?: number;
  to: BoxState;
  patch?: BoxPatch;
  now: number;
}

/** A compare-and-set patch of a box's fields. */
export interface UpdateOptions {
  /** When given, the box must still be in this state. */
  state?: BoxState;
  /** When given, the box's fence must equal it. */
  fence?: number;
  patch: BoxPatch;
  now: number;
}

/** Which boxes a listing returns. */
export interface ListFilter {
  poolKey?: string;
  /** Only these states; all states when absent. */
  states?: readonly BoxState[];
}

/** One host of an ssh-fleet as the store knows it (hosts never leased nor checked are absent). */
export interface FleetHost {
  /** `user@host:port`, as the ssh-fleet driver names a configured host. */
  hostId: string;
  /** The box holding the host's lease, or null when it is free. */
  boxId: string | null;
  /** When the lease was taken (ms since the epoch), or null when free. */
  leasedAt: number | null;
  /** False after a failed health check, until a later check passes; unhealthy hosts are never leased. */
  healthy: boolean;
  /** Why the last health check failed; null when healthy. */
  reason: string | null;
}

/** Leases of ssh-fleet hosts: atomic, so two cac processes never lease one host. */
export interface FleetLeases {
  /**
   * In ONE atomic operation: the host `boxId` already holds (idempotent), else leases the first of
   * `candidates` that is neither leased nor unhealthy to `boxId`. Null when none is free.
   */
  leaseFleetHost(candidates: readonly string[], boxId: string, now: number): Promise<string | null>;
  /** Frees the host only when `boxId` holds it (compare-and-delete); true when it did. */
  releaseFleetHost(hostId: string, boxId: string): Promise<boolean>;
  /** Records a health check; `reason` says why an unhealthy host failed. A lease is kept either way. */
  setFleetHostHealth(hostId: string, healthy: boolean, reason?: string): Promise<void>;
  /** Every host with a lease or a health record, by host id. */
  listFleetHosts(): Promise<FleetHost[]>;
}

/**
 * Named blobs every host sharing the store reads (the fleet's SSH identity). The store keeps what it is
 * given: a caller stores only ciphertext (an envelope of core/secrets), never a secret in clear.
 */
export interface SharedSecrets {
  /** The blob stored under `name`, or null. */
  getSecret(name: string): Promise<string | null>;
  /** In ONE atomic operation: stores `value` under `name` unless a blob is there; returns the stored blob (the first writer's). */
  putSecretIfAbsent(name: string, value: string): Promise<string>;
}

/** The port for box records, pools, locks and fleet leases: SQLite (one host) or Redis (several). */
export interface BoxStore extends FleetLeases, SharedSecrets {
  /** Records a `requested` box. The same idempotency key returns the existing record, never a second one. */
  createBox(input: NewBox, opts: { idempotencyKey: string }): Promise<Box>;
  /**
   * createBox, in ONE atomic operation with the counts of `CreateLimits`: records the box only while every
   * limit given has room, else returns the first limit reached (nothing recorded). The same idempotency key
   * returns the existing record whatever the counts.
   */
  createBoxIfRoom(input: NewBox, opts: { idempotencyKey: string } & CreateLimits): Promise<Box | LimitRefusal>;
  /**
   * In ONE atomic operation: takes the oldest standby box of the pool, makes it `claimed` by `claimant`
   * with a lease, `warm: true`, and increments its fence. Null when the pool has no standby box, or when
   * `maxPerClaimant` is given and the claimant already holds that many boxes (the count in the same operation).
   */
  claimStandby(poolKey: string, opts: ClaimOptions): Promise<Box | null>;
  /**
   * Compare-and-set of the state (and the fence when given), applying `patch`. Null when the box is
   * missing or the comparison fails; throws ERR_INVALID_TRANSITION only for a move the state machine forbids.
   */
  transition(id: string, opts: TransitionOptions): Promise<Box | null>;
  /** Patches a box without changing its state (steps, vmRef, sshTarget); null on a missing box or a failed comparison. */
  update(id: string, opts: UpdateOptions): Promise<Box | null>;
  /**
   * Compare-and-set on (state, fence) that increments the fence: whoever takes over a box (a reconcile
   * resuming one left in flight) makes every write of the previous worker, at the old fence, lose.
   * Null when the box is missing or the comparison fails.
   */
  bumpFence(id: string, opts: { state: BoxState; fence: number; now: number }): Promise<Box | null>;
  /** One box, or null. */
  get(id: string): Promise<Box | null>;
  /** Boxes matching the filter, oldest first. */
  list(filter?: ListFilter): Promise<Box[]>;
  /** How many boxes of the pool are in each state. */
  poolCounts(poolKey: string): Promise<PoolCounts>;
  /** Takes the named lease lock for `ttlMs` unless someone holds it (any token); true when taken. */
  acquireLock(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Extends the lock to `ttlMs` from now, only while `token` still holds it. */
  extendLock(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Releases the lock only when `token` holds it (compare-and-delete). */
  releaseLock(name: string, token: string): Promise<boolean>;
  /** Whether `token` holds the lock now (its lease not run out): the fencing check before a side effect. */
  holdsLock(name: string, token: string): Promise<boolean>;
  /** Counts one more failure in a row for the pool; returns the new consecutive count. */
  recordFailure(poolKey: string, now: number): Promise<number>;
  /** Clears the pool's consecutive failures (after a success, or on resume). */
  resetFailures(poolKey: string): Promise<void>;
  /** Pauses (no creates) or resumes the pool. */
  setPaused(poolKey: string, paused: boolean): Promise<void>;
  /** The pool's failure count, last failure time and pause flag (zeros for an unknown pool). */
  getPoolHealth(poolKey: string): Promise<PoolHealth>;
  /** Counts one claim, warm or cold, and its latency. */
  recordClaim(poolKey: string, claim: { warm: boolean; latencyMs: number }): Promise<void>;
  /** Counts one finished provisioning and its latency. */
  recordProvision(poolKey: string, provision: { latencyMs: number }): Promise<void>;
  /** The pool's claim and provisioning counters (zeros for an unknown pool). */
  poolStats(poolKey: string): Promise<PoolStats>;
  /**
   * Deletes `destroyed` records last written before `before` (and their idempotency keys), adding each
   * one's box time (updatedAt − createdAt) and count to its pool's stats in the same atomic operation;
   * returns the ids purged.
   */
  purgeDestroyed(before: number): Promise<string[]>;
  /** Releases the connection or file handle. */
  close(): Promise<void>;
}
