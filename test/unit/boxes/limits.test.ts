// [boxes] max_live and max_per_claimant: the allocator refuses a claim or a create beyond them with
// ERR_NO_CAPACITY naming the limit (the store counts atomically), the reconciler never creates beyond
// max_live across all pools and says it is held, and `pool status` shows it.
import { describe, expect, it } from 'vitest';
import { renderReconcile, renderStatus } from '../../../src/cli/handlers/pool-render.js';
import { AllocatorService } from '../../../src/core/boxes/allocator.js';
import { capacityError, validateFleetLimits } from '../../../src/core/boxes/limits.js';
import { poolStatus } from '../../../src/core/boxes/pool-status.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import { poolKeyOf, type Box } from '../../../src/domain/box.js';
import { type CacError, isCacError } from '../../../src/errors.js';
import type { CreateLimits } from '../../../src/ports/box-store.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const MIN = 60_000;
const POOL = poolKeyOf(REPO, 'main');
const OTHER = 'https://example.test/acme/other.git';

async function rejection(p: Promise<unknown>): Promise<CacError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isCacError(e)) throw new Error(`expected a CacError, got ${String(e)}`);
  return e;
}

function world() {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const driver = new FakeVmDriver(clock.now);
  const standby = async (repoUrl = REPO): Promise<Box> => {
    const b = await store.createBox({ repoUrl, baseBranch: 'main', deadlineAt: clock.now() + 15 * MIN, now: clock.now() }, { idempotencyKey: `s${Math.random()}` });
    await store.transition(b.id, { from: 'requested', to: 'provisioning', now: clock.now() });
    return (await store.transition(b.id, { from: 'provisioning', to: 'standby', now: clock.now() })) as Box;
  };
  const allocator = (limits: { maxLive?: number | null; maxPerClaimant?: number | null }, maxInstances = 10) =>
    new AllocatorService({
      store,
      driver,
      pools: [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances }],
      limits,
      now: clock.now,
      capacityPollMs: 1,
      startProvisioning: async () => {},
    });
  const manager = (maxLive: number | null) =>
    new DefaultPoolManager({ store, driver, steps: boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB', login: async () => {} }), now: clock.now, options: { maxLive } });
  return { clock, store, driver, standby, allocator, manager };
}

describe('AllocatorService.requestBox within [boxes] max_per_claimant', () => {
  it('refuses a second box for the same --for with ERR_NO_CAPACITY naming the limit; the warm box stays for others', async () => {
    const w = world();
    const alloc = w.allocator({ maxPerClaimant: 1 });
    const first = await alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    expect(first).toMatchObject({ warm: false, box: { claimant: 'x', state: 'requested' } });
    const warm = await w.standby();
    const e = await rejection(alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' }));
    expect(e).toMatchObject({ code: 'ERR_NO_CAPACITY', message: 'boxes.max_per_claimant = 1 reached: x holds 1 box', exitCode: 1 });
    expect(e.hint).toContain('raise [boxes] max_per_claimant');
    expect(e.details).toMatchObject({ limit: 'max_per_claimant', max: 1, count: 1, claimant: 'x' });
    expect(await w.store.get(warm.id)).toEqual(warm);
    expect(await alloc.requestBox({ repoUrl: REPO, requestedBy: 'y' })).toMatchObject({ warm: true, box: { id: warm.id, claimant: 'y' } });
    expect((await w.store.list()).filter((b) => b.claimant === 'x')).toHaveLength(1);
  });

  it('counts boxes in every pool and frees the place when a box is released; off when null', async () => {
    const w = world();
    const alloc = w.allocator({ maxPerClaimant: 2 });
    const a = await alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    await alloc.requestBox({ repoUrl: OTHER, requestedBy: 'x' });
    expect((await rejection(alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' }))).message).toBe('boxes.max_per_claimant = 2 reached: x holds 2 boxes');
    await alloc.releaseBox(a.box.id);
    expect((await alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' })).box.claimant).toBe('x');
    const unlimited = w.allocator({ maxPerClaimant: null });
    expect((await unlimited.requestBox({ repoUrl: REPO, requestedBy: 'x' })).box.claimant).toBe('x');
  });

  it('with a wait for capacity, gets the box once a place frees up', async () => {
    const w = world();
    const alloc = w.allocator({ maxPerClaimant: 1 });
    const first = await alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    const create = w.store.createBoxIfRoom.bind(w.store);
    let refusals = 0;
    w.store.createBoxIfRoom = async (input, opts: { idempotencyKey: string } & CreateLimits) => {
      const r = await create(input, opts);
      if ('refused' in r && ++refusals === 2) await alloc.releaseBox(first.box.id);
      return r;
    };
    const second = await alloc.requestBox({ repoUrl: REPO, requestedBy: 'x', waitForCapacity: { timeoutMs: 60_000 } });
    expect(second.box).toMatchObject({ claimant: 'x', state: 'requested' });
    expect(refusals).toBe(2);
  });
});

describe('AllocatorService.requestBox within [boxes] max_live', () => {
  it('refuses a cold box once max_live boxes are live across all pools, naming the limit; a warm claim still works', async () => {
    const w = world();
    const alloc = w.allocator({ maxLive: 2 });
    const warm = await w.standby();
    await w.standby(OTHER);
    const e = await rejection(alloc.requestBox({ repoUrl: 'https://example.test/acme/third.git', requestedBy: 'x' }));
    expect(e).toMatchObject({ code: 'ERR_NO_CAPACITY', message: 'boxes.max_live = 2 reached: 2 boxes live across all pools' });
    expect(e.hint).toContain('raise [boxes] max_live');
    // a standby box already holds its VM: claiming it makes nothing new
    expect(await alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' })).toMatchObject({ warm: true, box: { id: warm.id } });
    expect(await w.store.list()).toHaveLength(2);
  });

  it("names the pool's max_instances when that is the limit reached", async () => {
    const w = world();
    const alloc = w.allocator({ maxLive: 5 }, 1);
    await alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    expect((await rejection(alloc.requestBox({ repoUrl: REPO, requestedBy: 'y' }))).message).toBe(`pool ${POOL} is full: 1 live boxes (max_instances)`);
  });

  it('refuses limits that are not whole numbers ≥ 0, naming the field', () => {
    const w = world();
    expect(() => w.allocator({ maxLive: -1 })).toThrow(/^maxLive: -1 must be a whole number ≥ 0$/);
    expect(() => w.allocator({ maxPerClaimant: 1.5 })).toThrow(/^maxPerClaimant: 1.5 must be a whole number ≥ 0$/);
    expect(() => w.manager(Number.NaN)).toThrow(/^maxLive: NaN/);
    expect(validateFleetLimits({ maxLive: 0, maxPerClaimant: null })).toEqual({ maxLive: 0, maxPerClaimant: null });
  });
});

describe('DefaultPoolManager.reconcilePools within [boxes] max_live', () => {
  const pools = [
    { repoUrl: REPO, baseBranch: 'main', minStandby: 3, maxInstances: 5 },
    { repoUrl: OTHER, baseBranch: 'main', minStandby: 3, maxInstances: 5 },
  ];

  it('stops at max_live across pools, says which pool is held, and creates again once a place frees', async () => {
    const w = world();
    await w.store.createBox(
      { repoUrl: 'https://example.test/acme/cold.git', baseBranch: 'main', claimant: 'x', leaseExpiresAt: T0 + MIN, deadlineAt: T0 + 15 * MIN, now: T0 },
      { idempotencyKey: 'cold' },
    );
    const r = await w.manager(4).reconcilePools(pools);
    expect(r.pools.map((p) => p.plan.creates)).toEqual([3, 0, 0]);
    expect(r.pools[0]?.plan.held).toBeUndefined();
    expect(r.pools[1]?.plan.held).toBe('held by max_live: 4 boxes live across all pools (boxes.max_live = 4)');
    expect(r.pools[1]?.plan.notes).toContain('3 fewer creates: held by max_live: 4 boxes live across all pools (boxes.max_live = 4)');
    expect((await w.store.list({ states: ['standby'] })).length).toBe(3);

    const dry = await w.manager(4).reconcilePools(pools, { dryRun: true });
    expect(dry.pools.map((p) => p.plan.creates)).toEqual([0, 0, 0]);
    expect(dry.pools[1]?.plan.held).toContain('held by max_live');

    const rows = await w.manager(4).status(pools);
    expect(rows.map((row) => row.held)).toEqual([null, 'held by max_live: 4 boxes live across all pools (boxes.max_live = 4)', null]);
    const table = renderStatus(rows);
    expect(table).toContain('box-hours 24h');
    expect(table.split('\n').filter((line) => line.includes('held by max_live'))).toHaveLength(1);
    expect(renderReconcile(dry)).toContain(`pool ${OTHER}#main: would 0 create, 0 fail, 0 release, 0 destroy\n  supply 0`);
    expect(renderReconcile(dry)).toContain('  3 fewer creates: held by max_live: 4 boxes live across all pools (boxes.max_live = 4)');

    const [standby] = await w.store.list({ states: ['standby'] });
    await w.store.transition(standby?.id ?? '', { from: 'standby', to: 'releasing', now: w.clock.now() });
    const again = await w.manager(6).reconcilePools(pools);
    // the first pool refills its released box, the second gets what is left of 6
    expect(again.pools.map((p) => p.plan.creates)).toEqual([1, 2, 0]);
    expect(await w.store.list({ states: ['requested', 'provisioning', 'standby', 'claimed', 'ready'] })).toHaveLength(6);
  });

  it('creates as before when max_live is off', async () => {
    const w = world();
    const r = await w.manager(null).reconcilePools(pools);
    expect(r.pools.map((p) => p.plan.creates)).toEqual([3, 3]);
    expect(r.pools.every((p) => p.plan.held === undefined)).toBe(true);
  });

  it('stops when the store refuses a create for max_live (a cold box taken since the snapshot) and says so', async () => {
    const w = world();
    const create = w.store.createBoxIfRoom.bind(w.store);
    let raced = false;
    w.store.createBoxIfRoom = async (input, opts: { idempotencyKey: string } & CreateLimits) => {
      if (!raced) {
        raced = true;
        await w.store.createBox({ repoUrl: OTHER, baseBranch: 'dev', claimant: 'x', leaseExpiresAt: T0 + MIN, deadlineAt: T0 + 15 * MIN, now: T0 }, { idempotencyKey: 'race' });
      }
      return create(input, opts);
    };
    const r = await w.manager(2).reconcilePools([{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 5 }]);
    expect(r.pools[0]?.plan.creates).toBe(2);
    expect(r.pools[0]?.applied?.created).toHaveLength(1);
    expect(r.pools[0]?.applied?.held).toBe('held by max_live: 2 boxes live across all pools (boxes.max_live = 2)');
    expect(r.pools[0]?.plan.held).toBeUndefined();
    expect(renderReconcile(r)).toContain('  creates held by max_live: 2 boxes live across all pools (boxes.max_live = 2)');
  });
});

describe('pool status: box-hours over the last day', () => {
  it("adds each kept record's time within the last 24 h, and keeps the all-time total apart", async () => {
    const HOUR = 3_600_000;
    const now = T0 + 30 * HOUR;
    const store = new MemoryBoxStore(() => now);
    const make = async (key: string, created: number, destroyedAt?: number) => {
      const b = await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: created + 900_000, now: created }, { idempotencyKey: key });
      if (destroyedAt === undefined) return;
      await store.transition(b.id, { from: 'requested', to: 'releasing', now: destroyedAt });
      await store.transition(b.id, { from: 'releasing', to: 'destroyed', now: destroyedAt });
    };
    await make('before-window', T0, T0 + 5 * HOUR); // ended 25 h ago: only in the total (5 h)
    await make('straddles', T0 + 4 * HOUR, T0 + 8 * HOUR); // 2 h of its 4 inside the window
    await make('live', T0 + 27 * HOUR); // 3 h, still running
    const timers = { provisionTimeoutMs: 900_000, failedRetentionMs: 3_600_000, backoffIntervalMs: 60_000 };
    const [row] = await poolStatus(store, [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 4 }], timers, now);
    expect(row).toMatchObject({ boxHoursLastDay: 5, boxHoursTotal: 12, held: null });
  });
});

describe('capacityError', () => {
  it('names each limit and its value in one line', () => {
    const at = { poolKey: POOL, claimant: 'x' };
    expect(capacityError({ refused: 'max_live', max: 4, count: 4 }, at).message).toBe('boxes.max_live = 4 reached: 4 boxes live across all pools');
    expect(capacityError({ refused: 'max_per_claimant', max: 0, count: 0 }, at).message).toBe('boxes.max_per_claimant = 0 reached: x holds 0 boxes');
    expect(capacityError({ refused: 'max_instances', max: 2, count: 2 }, at).details).toMatchObject({ maxInstances: 2, poolKey: POOL });
  });
});
