// In-memory fakes of OUR ports for the box unit tests: a BoxStore (single-threaded JS makes each method
// atomic, as the real stores are), a VmDriver of plain objects, and an SSH login that records its calls.
import { CacError } from '../../src/errors.js';
import {
  applyPatch,
  assertTransition,
  BOX_STATES,
  byAge,
  CLAIMANT_STATES,
  INSTANCE_STATES,
  newBoxRecord,
  poolKeyOf,
  type Box,
  type BoxState,
  type NewBox,
  type SshTarget,
} from '../../src/domain/box.js';
import type { BoxStore, ClaimOptions, CreateLimits, FleetHost, LimitRefusal, ListFilter, PoolCounts, PoolHealth, PoolStats, TransitionOptions, UpdateOptions } from '../../src/ports/box-store.js';
import type { Vm, VmDriver, VmSpec } from '../../src/ports/vm-driver.js';

const zeroStats = (): PoolStats => ({ warmClaims: 0, coldClaims: 0, claimLatencyMsTotal: 0, claimCount: 0, provisionLatencyMsTotal: 0, provisionCount: 0, purgedBoxes: 0, purgedBoxMsTotal: 0 });

export class MemoryBoxStore implements BoxStore {
  readonly boxes = new Map<string, Box>();
  readonly health = new Map<string, PoolHealth>();
  readonly stats = new Map<string, PoolStats>();
  readonly locks = new Map<string, { token: string; until: number }>();
  readonly fleet = new Map<string, FleetHost>();
  readonly secrets = new Map<string, string>();
  private seq = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  async createBox(input: NewBox, opts: { idempotencyKey: string }): Promise<Box> {
    const existing = [...this.boxes.values()].find((b) => b.idempotencyKey === opts.idempotencyKey);
    if (existing) return existing;
    this.seq += 1;
    const box = newBoxRecord(input, `box_${String(this.seq).padStart(12, '0')}`, opts.idempotencyKey);
    this.boxes.set(box.id, box);
    return box;
  }

  async createBoxIfRoom(input: NewBox, opts: { idempotencyKey: string } & CreateLimits): Promise<Box | LimitRefusal> {
    const existing = [...this.boxes.values()].find((b) => b.idempotencyKey === opts.idempotencyKey);
    if (existing) return existing;
    const poolKey = poolKeyOf(input.repoUrl, input.baseBranch);
    const live = [...this.boxes.values()].filter((b) => INSTANCE_STATES.includes(b.state));
    const checks: Array<[LimitRefusal['refused'], number | null | undefined, () => number]> = [
      ['max_per_claimant', input.claimant === undefined ? null : opts.maxPerClaimant, () => this.held(input.claimant ?? '')],
      ['max_live', opts.maxLive, () => live.length],
      ['max_instances', opts.maxInstances, () => live.filter((b) => b.poolKey === poolKey).length],
    ];
    for (const [refused, max, count] of checks) {
      if (max === null || max === undefined) continue;
      const n = count();
      if (n >= max) return { refused, max, count: n };
    }
    return this.createBox(input, opts);
  }

  /** Boxes the claimant holds (CLAIMANT_STATES). */
  private held(claimant: string): number {
    return [...this.boxes.values()].filter((b) => b.claimant === claimant && CLAIMANT_STATES.includes(b.state)).length;
  }

  async claimStandby(poolKey: string, opts: ClaimOptions): Promise<Box | null> {
    if (opts.maxPerClaimant !== undefined && opts.maxPerClaimant !== null && this.held(opts.claimant) >= opts.maxPerClaimant) return null;
    const oldest = [...this.boxes.values()].filter((b) => b.poolKey === poolKey && b.state === 'standby').sort(byAge)[0];
    if (!oldest) return null;
    const claimed: Box = {
      ...oldest,
      state: 'claimed',
      claimant: opts.claimant,
      leaseExpiresAt: opts.now + opts.leaseMs,
      claimedAt: opts.now,
      updatedAt: opts.now,
      warm: true,
      fence: oldest.fence + 1,
    };
    this.boxes.set(claimed.id, claimed);
    return claimed;
  }

  async transition(id: string, opts: TransitionOptions): Promise<Box | null> {
    assertTransition(opts.from, opts.to);
    const box = this.boxes.get(id);
    if (!box || box.state !== opts.from || (opts.fence !== undefined && box.fence !== opts.fence)) return null;
    const next = { ...applyPatch(box, opts.patch ?? {}, opts.now), state: opts.to };
    this.boxes.set(id, next);
    return next;
  }

  async update(id: string, opts: UpdateOptions): Promise<Box | null> {
    const box = this.boxes.get(id);
    if (!box || (opts.state !== undefined && box.state !== opts.state) || (opts.fence !== undefined && box.fence !== opts.fence)) return null;
    const next = applyPatch(box, opts.patch, opts.now);
    this.boxes.set(id, next);
    return next;
  }

  async bumpFence(id: string, opts: { state: BoxState; fence: number; now: number }): Promise<Box | null> {
    const box = this.boxes.get(id);
    if (!box || box.state !== opts.state || box.fence !== opts.fence) return null;
    const next = { ...box, fence: box.fence + 1, updatedAt: opts.now };
    this.boxes.set(id, next);
    return next;
  }

  async get(id: string): Promise<Box | null> {
    return this.boxes.get(id) ?? null;
  }

  async list(filter: ListFilter = {}): Promise<Box[]> {
    const states = filter.states ?? BOX_STATES;
    return [...this.boxes.values()].filter((b) => states.includes(b.state) && (filter.poolKey === undefined || b.poolKey === filter.poolKey)).sort(byAge);
  }

  async poolCounts(poolKey: string): Promise<PoolCounts> {
    const counts = Object.fromEntries(BOX_STATES.map((s) => [s, 0])) as PoolCounts;
    for (const b of this.boxes.values()) if (b.poolKey === poolKey) counts[b.state] += 1;
    return counts;
  }

  async acquireLock(name: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(name);
    if (held && held.until > this.clock()) return false;
    this.locks.set(name, { token, until: this.clock() + ttlMs });
    return true;
  }

  async extendLock(name: string, token: string, ttlMs: number): Promise<boolean> {
    const held = this.locks.get(name);
    if (held?.token !== token || held.until <= this.clock()) return false;
    held.until = this.clock() + ttlMs;
    return true;
  }

  async releaseLock(name: string, token: string): Promise<boolean> {
    // an expired lock is no longer held: its old holder must learn it lost it, as with the real stores
    const held = this.locks.get(name);
    if (held?.token !== token || held.until <= this.clock()) return false;
    return this.locks.delete(name);
  }

  async holdsLock(name: string, token: string): Promise<boolean> {
    const held = this.locks.get(name);
    return held?.token === token && held.until > this.clock();
  }

  private healthOf(poolKey: string): PoolHealth {
    const h = this.health.get(poolKey) ?? { consecutiveFailures: 0, lastFailureAt: null, paused: false };
    this.health.set(poolKey, h);
    return h;
  }

  async recordFailure(poolKey: string, now: number): Promise<number> {
    const h = this.healthOf(poolKey);
    h.consecutiveFailures += 1;
    h.lastFailureAt = now;
    return h.consecutiveFailures;
  }

  async resetFailures(poolKey: string): Promise<void> {
    this.healthOf(poolKey).consecutiveFailures = 0;
  }

  async setPaused(poolKey: string, paused: boolean): Promise<void> {
    this.healthOf(poolKey).paused = paused;
  }

  async getPoolHealth(poolKey: string): Promise<PoolHealth> {
    return { ...(this.health.get(poolKey) ?? { consecutiveFailures: 0, lastFailureAt: null, paused: false }) };
  }

  private statsOf(poolKey: string): PoolStats {
    const s = this.stats.get(poolKey) ?? zeroStats();
    this.stats.set(poolKey, s);
    return s;
  }

  async recordClaim(poolKey: string, claim: { warm: boolean; latencyMs: number }): Promise<void> {
    const s = this.statsOf(poolKey);
    if (claim.warm) s.warmClaims += 1;
    else s.coldClaims += 1;
    s.claimCount += 1;
    s.claimLatencyMsTotal += Math.round(claim.latencyMs);
  }

  async recordProvision(poolKey: string, provision: { latencyMs: number }): Promise<void> {
    const s = this.statsOf(poolKey);
    s.provisionCount += 1;
    s.provisionLatencyMsTotal += Math.round(provision.latencyMs);
  }

  async poolStats(poolKey: string): Promise<PoolStats> {
    return { ...(this.stats.get(poolKey) ?? zeroStats()) };
  }

  async purgeDestroyed(before: number): Promise<string[]> {
    const gone = [...this.boxes.values()].filter((b) => b.state === 'destroyed' && b.updatedAt < before).sort(byAge);
    for (const b of gone) {
      const s = this.statsOf(b.poolKey);
      s.purgedBoxes += 1;
      s.purgedBoxMsTotal += Math.max(0, b.updatedAt - b.createdAt);
      this.boxes.delete(b.id);
    }
    return gone.map((b) => b.id);
  }

  async leaseFleetHost(candidates: readonly string[], boxId: string, now: number): Promise<string | null> {
    const held = [...this.fleet.values()].find((h) => h.boxId === boxId);
    if (held) return held.hostId;
    const free = candidates.find((id) => !this.fleet.get(id)?.boxId && this.fleet.get(id)?.healthy !== false);
    if (free === undefined) return null;
    this.fleet.set(free, { hostId: free, boxId, leasedAt: now, healthy: true, reason: null });
    return free;
  }

  async releaseFleetHost(hostId: string, boxId: string): Promise<boolean> {
    const h = this.fleet.get(hostId);
    if (h?.boxId !== boxId) return false;
    this.fleet.set(hostId, { ...h, boxId: null, leasedAt: null });
    return true;
  }

  async setFleetHostHealth(hostId: string, healthy: boolean, reason?: string): Promise<void> {
    const h = this.fleet.get(hostId) ?? { hostId, boxId: null, leasedAt: null, healthy, reason: null };
    this.fleet.set(hostId, { ...h, healthy, reason: healthy ? null : (reason ?? 'unhealthy') });
  }

  async listFleetHosts(): Promise<FleetHost[]> {
    return [...this.fleet.values()].sort((a, b) => (a.hostId < b.hostId ? -1 : 1));
  }

  async getSecret(name: string): Promise<string | null> {
    return this.secrets.get(name) ?? null;
  }

  async putSecretIfAbsent(name: string, value: string): Promise<string> {
    if (!this.secrets.has(name)) this.secrets.set(name, value);
    return this.secrets.get(name) ?? value;
  }

  async close(): Promise<void> {}

  /** Test helper: the box, which must exist. */
  box(id: string): Box {
    const b = this.boxes.get(id);
    if (!b) throw new Error(`no box ${id}`);
    return b;
  }
}

/** VMs as plain objects; `failCreate` makes the next creates throw, `hooks` run inside create. */
export class FakeVmDriver implements VmDriver {
  readonly name = 'fake';
  /** The engine this driver's VMs run on (as docker's engine ID): boxes recorded elsewhere are not its to judge. */
  engine: string | null = 'fake-engine';
  /** VM refs are `<refPrefix><n>`: two fake engines in one test give theirs apart, as docker's IDs are. */
  refPrefix = 'vm-';
  readonly vms = new Map<string, Vm & { spec: VmSpec }>();
  readonly calls: string[] = [];
  failCreate: Error | undefined;
  /** Runs inside create before the VM exists (e.g. to release the box meanwhile). */
  beforeCreate: ((spec: VmSpec) => Promise<void>) | undefined;
  /** When set, the driver has finite capacity: reserve() holds one slot per box, like ssh-fleet. */
  capacity: number | undefined;
  readonly reserved = new Set<string>();
  private readonly creating = new Map<string, Promise<Vm>>();
  private seq = 0;

  async reserve(spec: { boxId: string }): Promise<void> {
    if (this.capacity === undefined || this.reserved.has(spec.boxId)) return;
    if (this.reserved.size >= this.capacity) throw new CacError('ERR_NO_CAPACITY', 'no free host');
    this.reserved.add(spec.boxId);
  }

  constructor(private readonly clock: () => number = Date.now) {}

  async create(spec: VmSpec, opts: { idempotencyKey: string }): Promise<Vm> {
    this.calls.push(`create ${spec.boxId}`);
    const existing = [...this.vms.values()].find((v) => v.boxId === spec.boxId);
    if (existing) return existing;
    // two creates of one box at once make one VM, as the real drivers do
    const pending = this.creating.get(spec.boxId);
    if (pending) return pending;
    const creating = this.createNew(spec, opts).finally(() => this.creating.delete(spec.boxId));
    this.creating.set(spec.boxId, creating);
    return creating;
  }

  private async createNew(spec: VmSpec, opts: { idempotencyKey: string }): Promise<Vm> {
    await this.beforeCreate?.(spec);
    if (this.failCreate) throw this.failCreate;
    this.seq += 1;
    const vm = {
      vmRef: `${this.refPrefix}${this.seq}`,
      boxId: spec.boxId,
      poolKey: spec.poolKey,
      createdAt: this.clock(),
      state: 'running' as const,
      spec: { ...spec, labels: { ...spec.labels, key: opts.idempotencyKey } },
    };
    this.vms.set(vm.vmRef, vm);
    return vm;
  }

  async engineId(): Promise<string | null> {
    return this.engine;
  }

  async get(vmRef: string): Promise<Vm | undefined> {
    return this.vms.get(vmRef);
  }

  async list(): Promise<Vm[]> {
    this.calls.push('list');
    return [...this.vms.values()];
  }

  async destroy(vmRef: string): Promise<void> {
    this.calls.push(`destroy ${vmRef}`);
    this.vms.delete(vmRef);
  }

  async sshTarget(vm: Vm): Promise<SshTarget> {
    return { host: '127.0.0.1', port: 2200 + Number(vm.vmRef.slice(this.refPrefix.length)), user: 'cac', hostKey: `ssh-ed25519 KEY-${vm.vmRef}` };
  }

  /** A VM the driver lists with no record behind it. */
  addOrphan(boxId: string, createdAt: number): string {
    this.seq += 1;
    const vmRef = `${this.refPrefix}${this.seq}`;
    this.vms.set(vmRef, { vmRef, boxId, poolKey: 'x#main', createdAt, state: 'running', spec: { boxId, poolKey: 'x#main', labels: {}, sshPublicKey: '' } });
    return vmRef;
  }
}

/** A clock tests move by hand. */
export function manualClock(start: number): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
