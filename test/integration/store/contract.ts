// The ONE contract every BoxStore passes (docs/architecture.md "Ports"): run by sqlite.test.ts and redis.test.ts here, and
// on the unit tests' MemoryBoxStore by test/unit/boxes/fake-contracts.test.ts (so it must need no engine).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { poolKeyOf, type Box } from '../../../src/domain/box.js';
import { isCacError } from '../../../src/errors.js';
import type { BoxStore, CreateLimits, LimitRefusal } from '../../../src/ports/box-store.js';
import { fleetLeaseCases } from './fleet-contract.js';
import { REPO, seedStandby } from './seed.js';

export interface StoreUnderTest {
  store: BoxStore;
  /** Closes the store and removes what the test wrote. */
  dispose(): Promise<void>;
}

const POOL = poolKeyOf(REPO, 'main');
const OTHER_POOL = poolKeyOf(REPO, 'dev');
const T0 = 1_700_000_000_000;
const claimAt = (now: number, claimant = 'alice') => ({ claimant, leaseMs: 60_000, now });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function boxStoreContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`BoxStore contract: ${name}`, () => {
    let under: StoreUnderTest;
    let store: BoxStore;
    beforeEach(async () => {
      under = await makeStore();
      store = under.store;
    });
    afterEach(async () => {
      await under.dispose();
    });

    const create = (key: string, now = T0, baseBranch = 'main') => store.createBox({ repoUrl: REPO, baseBranch, deadlineAt: now + 900_000, now }, { idempotencyKey: key });

    it('records a requested box with every field, and reads it back', async () => {
      const box = await create('k1');
      expect(box).toEqual({
        id: expect.stringMatching(/^box_[0-9a-z]{12}$/),
        poolKey: POOL,
        repoUrl: REPO,
        baseBranch: 'main',
        branch: 'main',
        state: 'requested',
        claimant: null,
        leaseExpiresAt: null,
        fence: 0,
        idempotencyKey: 'k1',
        vmRef: null,
        vmLocation: null,
        sshTarget: null,
        steps: [],
        workspace: null,
        error: null,
        warm: null,
        createdAt: T0,
        updatedAt: T0,
        claimedAt: null,
        readyAt: null,
        deadlineAt: T0 + 900_000,
        releaseReason: null,
        activity: null,
        commit: null,
        configHash: null,
        head: null,
      } satisfies Box);
      expect(await store.get(box.id)).toEqual(box);
      expect(await store.get('box_doesnotexist')).toBeNull();
    });

    it('returns the existing record for a repeated idempotency key, never a second one', async () => {
      const first = await create('same');
      const again = await store.createBox({ repoUrl: REPO, baseBranch: 'main', branch: 'feature', deadlineAt: 1, now: T0 + 5 }, { idempotencyKey: 'same' });
      const [raceA, raceB] = await Promise.all([create('raced'), create('raced')]);
      expect(again).toEqual(first);
      expect(raceA.id).toBe(raceB.id);
      expect((await store.list()).map((b) => b.idempotencyKey).sort()).toEqual(['raced', 'same']);
      expect((await create('other')).id).not.toBe(first.id);
    });

    it('records a cold box for its claimant with fence 1 and warm false', async () => {
      const box = await store.createBox({ repoUrl: REPO, baseBranch: 'main', branch: 'fix-1', claimant: 'bob', leaseExpiresAt: T0 + 10, deadlineAt: T0 + 99, now: T0 }, { idempotencyKey: 'cold' });
      expect(box).toMatchObject({ state: 'requested', branch: 'fix-1', claimant: 'bob', leaseExpiresAt: T0 + 10, fence: 1, warm: false, claimedAt: T0 });
      expect(await store.get(box.id)).toEqual(box);
    });

    const createIn = (key: string, limits: CreateLimits, opts: { baseBranch?: string; claimant?: string; now?: number } = {}) =>
      store.createBoxIfRoom(
        { repoUrl: REPO, baseBranch: opts.baseBranch ?? 'main', deadlineAt: T0 + 900_000, now: opts.now ?? T0, ...(opts.claimant ? { claimant: opts.claimant, leaseExpiresAt: T0 + 60_000 } : {}) },
        { idempotencyKey: key, ...limits },
      );
    const recorded = (result: Box | LimitRefusal): Box => {
      if ('refused' in result) throw new Error(`refused: ${JSON.stringify(result)}`);
      return result;
    };

    it("creates within max_instances: counts the pool's requested…ready boxes only; a known key returns its record even when full", async () => {
      const within = (key: string, maxInstances: number, baseBranch = 'main') => createIn(key, { maxInstances }, { baseBranch });
      const first = recorded(await within('w1', 2));
      expect(first).toMatchObject({ state: 'requested', idempotencyKey: 'w1', poolKey: POOL });
      expect(await store.get(first.id)).toEqual(first);
      const standby = await seedStandby(store, T0 + 1);
      expect(await within('w2', 2)).toEqual({ refused: 'max_instances', max: 2, count: 2 });
      expect(await within('w1', 2)).toEqual(first);
      expect(await within('w1', 0)).toEqual(first);
      expect(recorded(await within('dev-1', 1, 'dev')).poolKey).toBe(OTHER_POOL);
      // failed, releasing and destroyed boxes do not count; claimed and ready ones do
      await store.transition(first.id, { from: 'requested', to: 'failed', now: T0 + 2 });
      const second = recorded(await within('w3', 2));
      expect(second.state).toBe('requested');
      await store.transition(second.id, { from: 'requested', to: 'releasing', now: T0 + 3 });
      await store.transition(second.id, { from: 'releasing', to: 'destroyed', now: T0 + 3 });
      await store.claimStandby(POOL, claimAt(T0 + 4));
      expect(recorded(await within('w4', 2)).state).toBe('requested');
      expect(await within('w5', 2)).toMatchObject({ refused: 'max_instances' });
      expect(await store.get(standby.id)).toMatchObject({ state: 'claimed' });
      expect((await store.list({ poolKey: POOL })).map((b) => b.idempotencyKey).sort()).toEqual(['w1', 'w3', 'w4', standby.idempotencyKey].sort());
    });

    it('gives the last slot of a pool to exactly one of 20 concurrent creates', async () => {
      await seedStandby(store, T0);
      const racers = Array.from({ length: 20 }, (_, i) => createIn(`race-${i}`, { maxInstances: 2 }, { now: T0 + 1 }));
      const created = (await Promise.all(racers)).filter((b) => !('refused' in b));
      expect(created).toHaveLength(1);
      expect(await store.list({ poolKey: POOL })).toHaveLength(2);
    });

    it("creates within max_live: counts every pool's requested…ready boxes; failed and released ones free their place", async () => {
      const standby = await seedStandby(store, T0);
      const dev = recorded(await createIn('dev', { maxLive: 3 }, { baseBranch: 'dev' }));
      const cold = recorded(await createIn('cold', { maxLive: 3 }, { claimant: 'bob' }));
      expect(await createIn('fourth', { maxLive: 3 }, { baseBranch: 'next' })).toEqual({ refused: 'max_live', max: 3, count: 3 });
      expect(await createIn('fourth', { maxLive: 3, maxInstances: 10 }, { baseBranch: 'next' })).toMatchObject({ refused: 'max_live' });
      expect(await createIn('dev', { maxLive: 0 })).toEqual(dev);
      expect(await store.list({ poolKey: poolKeyOf(REPO, 'next') })).toEqual([]);
      // a claim moves a box within the live states: it frees nothing
      await store.claimStandby(POOL, claimAt(T0 + 1));
      expect(await createIn('fifth', { maxLive: 3 })).toMatchObject({ refused: 'max_live', count: 3 });
      await store.transition(cold.id, { from: 'requested', to: 'failed', now: T0 + 2 });
      const next = recorded(await createIn('sixth', { maxLive: 3 }, { baseBranch: 'next' }));
      expect(next.poolKey).toBe(poolKeyOf(REPO, 'next'));
      await store.transition(standby.id, { from: 'claimed', to: 'releasing', now: T0 + 3 });
      expect(recorded(await createIn('seventh', { maxLive: 3 })).state).toBe('requested');
      expect(await createIn('zero', { maxLive: 0 })).toEqual({ refused: 'max_live', max: 0, count: 3 });
    });

    it("creates within max_per_claimant: counts the claimant's boxes on their way, claimed and ready, in any pool; pool boxes are not limited", async () => {
      const first = recorded(await createIn('bob-1', { maxPerClaimant: 2 }, { claimant: 'bob' }));
      await seedStandby(store, T0, 'dev');
      const warm = await store.claimStandby(OTHER_POOL, claimAt(T0 + 1, 'bob'));
      expect(warm?.claimant).toBe('bob');
      expect(await createIn('bob-2', { maxPerClaimant: 2 }, { claimant: 'bob' })).toEqual({ refused: 'max_per_claimant', max: 2, count: 2 });
      expect(recorded(await createIn('eve-1', { maxPerClaimant: 2 }, { claimant: 'eve' })).claimant).toBe('eve');
      expect(recorded(await createIn('pool-box', { maxPerClaimant: 0 })).claimant).toBeNull();
      // a box that failed or is released no longer counts for its claimant
      await store.transition(first.id, { from: 'requested', to: 'failed', now: T0 + 2 });
      const again = recorded(await createIn('bob-3', { maxPerClaimant: 2 }, { claimant: 'bob', baseBranch: 'dev' }));
      expect(again).toMatchObject({ claimant: 'bob', poolKey: OTHER_POOL });
      const moved = warm && (await store.transition(warm.id, { from: 'claimed', fence: warm.fence, to: 'ready', now: T0 + 3 }));
      expect(moved?.state).toBe('ready');
      expect(await createIn('bob-4', { maxPerClaimant: 2 }, { claimant: 'bob' })).toMatchObject({ refused: 'max_per_claimant', count: 2 });
    });

    it('checks max_per_claimant first, then max_live, then max_instances', async () => {
      recorded(await createIn('bob-1', {}, { claimant: 'bob' }));
      expect(await createIn('all', { maxPerClaimant: 1, maxLive: 1, maxInstances: 1 }, { claimant: 'bob' })).toEqual({ refused: 'max_per_claimant', max: 1, count: 1 });
      expect(await createIn('all', { maxPerClaimant: 1, maxLive: 1, maxInstances: 1 }, { claimant: 'eve' })).toEqual({ refused: 'max_live', max: 1, count: 1 });
      expect(await createIn('all', { maxPerClaimant: 1, maxLive: 2, maxInstances: 1 }, { claimant: 'eve' })).toEqual({ refused: 'max_instances', max: 1, count: 1 });
      expect(await createIn('all', { maxPerClaimant: null, maxLive: null, maxInstances: null }, { claimant: 'bob' })).toMatchObject({ state: 'requested', claimant: 'bob' });
    });

    it('claims within max_per_claimant: a claimant at the limit gets null and the standby box stays for others', async () => {
      const older = await seedStandby(store, T0);
      const newer = await seedStandby(store, T0 + 1);
      recorded(await createIn('bob-cold', {}, { claimant: 'bob', baseBranch: 'dev' }));
      expect(await store.claimStandby(POOL, { ...claimAt(T0 + 2, 'bob'), maxPerClaimant: 1 })).toBeNull();
      expect(await store.get(older.id)).toEqual(older);
      expect((await store.claimStandby(POOL, { ...claimAt(T0 + 3, 'bob'), maxPerClaimant: 2 }))?.id).toBe(older.id);
      expect(await store.claimStandby(POOL, { ...claimAt(T0 + 4, 'bob'), maxPerClaimant: 2 })).toBeNull();
      expect((await store.claimStandby(POOL, { ...claimAt(T0 + 5, 'eve'), maxPerClaimant: 1 }))?.id).toBe(newer.id);
      expect(await store.claimStandby(POOL, { ...claimAt(T0 + 6, 'bob'), maxPerClaimant: null })).toBeNull(); // empty pool
    });

    it('gives max_live places to exactly that many of 30 concurrent creates across pools', async () => {
      await seedStandby(store, T0);
      const branches = ['main', 'dev', 'next'];
      const racers = Array.from({ length: 30 }, (_, i) => createIn(`live-${i}`, { maxLive: 7 }, { baseBranch: branches[i % 3] ?? 'main', ...(i % 2 ? { claimant: `c${i}` } : {}) }));
      const results = await Promise.all(racers);
      expect(results.filter((r) => !('refused' in r))).toHaveLength(6);
      expect(results.filter((r) => 'refused' in r).every((r) => 'refused' in r && r.refused === 'max_live' && r.count === 7)).toBe(true);
      expect(await store.list()).toHaveLength(7);
    });

    it('gives one claimant exactly max_per_claimant boxes of 30 concurrent claims and cold creates', async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => seedStandby(store, T0 + i)));
      const limit = { maxPerClaimant: 4 };
      const racers = Array.from({ length: 30 }, (_, i) =>
        i % 2 ? store.claimStandby(POOL, { ...claimAt(T0 + 100, 'alice'), ...limit }) : createIn(`alice-${i}`, limit, { claimant: 'alice', baseBranch: 'dev' }),
      );
      const won = (await Promise.all(racers)).filter((r) => r !== null && !('refused' in r));
      expect(won).toHaveLength(4);
      const held = (await store.list({ states: ['requested', 'claimed'] })).filter((b) => b.claimant === 'alice');
      expect(held).toHaveLength(4);
      expect((await store.poolCounts(POOL)).standby + (await store.poolCounts(POOL)).claimed).toBe(10);
    });

    it('claims the oldest standby box of the pool, and only standby boxes of that pool', async () => {
      const newer = await seedStandby(store, T0 + 200);
      const oldest = await seedStandby(store, T0 + 100);
      await create('still-requested', T0);
      await seedStandby(store, T0, 'dev');
      const claimed = await store.claimStandby(POOL, claimAt(T0 + 1000));
      expect(claimed).toMatchObject({
        id: oldest.id,
        state: 'claimed',
        claimant: 'alice',
        leaseExpiresAt: T0 + 61_000,
        claimedAt: T0 + 1000,
        updatedAt: T0 + 1000,
        warm: true,
        fence: oldest.fence + 1,
      });
      expect(await store.get(oldest.id)).toEqual(claimed);
      expect((await store.claimStandby(POOL, claimAt(T0 + 2000, 'bob')))?.id).toBe(newer.id);
      expect(await store.claimStandby(POOL, claimAt(T0 + 3000))).toBeNull();
      expect((await store.poolCounts(POOL)).requested).toBe(1);
      expect((await store.poolCounts(OTHER_POOL)).standby).toBe(1);
    });

    it('returns null for a pool with no boxes at all', async () => {
      expect(await store.claimStandby(poolKeyOf('https://example.test/none.git', 'main'), claimAt(T0))).toBeNull();
    });

    it('fences: a claim increments the fence, and a write with the old fence loses', async () => {
      const box = await seedStandby(store, T0);
      expect(box.fence).toBe(0);
      const claimed = await store.claimStandby(POOL, claimAt(T0 + 1));
      expect(claimed?.fence).toBe(1);
      expect(await store.transition(box.id, { from: 'claimed', fence: 0, to: 'ready', now: T0 + 2 })).toBeNull();
      expect(await store.update(box.id, { fence: 0, patch: { error: 'late' }, now: T0 + 2 })).toBeNull();
      expect(await store.get(box.id)).toEqual(claimed);
      const ready = await store.transition(box.id, { from: 'claimed', fence: 1, to: 'ready', patch: { readyAt: T0 + 3 }, now: T0 + 3 });
      expect(ready).toMatchObject({ state: 'ready', fence: 1, readyAt: T0 + 3, updatedAt: T0 + 3, claimant: 'alice' });
    });

    it('bumps the fence of a box still in the given state at the given fence; the old fence then loses', async () => {
      const box = await create('bump');
      await store.transition(box.id, { from: 'requested', to: 'provisioning', now: T0 });
      expect(await store.bumpFence(box.id, { state: 'requested', fence: 0, now: T0 + 1 })).toBeNull();
      expect(await store.bumpFence(box.id, { state: 'provisioning', fence: 3, now: T0 + 1 })).toBeNull();
      expect(await store.bumpFence('box_doesnotexist', { state: 'provisioning', fence: 0, now: T0 + 1 })).toBeNull();
      const bumped = await store.bumpFence(box.id, { state: 'provisioning', fence: 0, now: T0 + 2 });
      expect(bumped).toEqual({ ...(await store.get(box.id)), fence: 1, updatedAt: T0 + 2, state: 'provisioning' });
      expect(await store.update(box.id, { state: 'provisioning', fence: 0, patch: { vmRef: 'late' }, now: T0 + 3 })).toBeNull();
      expect(await store.transition(box.id, { from: 'provisioning', fence: 0, to: 'standby', now: T0 + 3 })).toBeNull();
      expect(await store.transition(box.id, { from: 'provisioning', fence: 1, to: 'standby', now: T0 + 4 })).toMatchObject({ state: 'standby', fence: 1 });
      const [a, b] = await Promise.all([store.bumpFence(box.id, { state: 'standby', fence: 1, now: T0 + 5 }), store.bumpFence(box.id, { state: 'standby', fence: 1, now: T0 + 5 })]);
      expect([a, b].filter((x) => x !== null).map((x) => x?.fence)).toEqual([2]);
    });

    it('compare-and-sets the state: a stale state returns null and changes nothing', async () => {
      const box = await create('cas');
      expect(await store.transition(box.id, { from: 'provisioning', to: 'standby', now: T0 + 1 })).toBeNull();
      expect(await store.get(box.id)).toEqual(box);
      const moved = await store.transition(box.id, { from: 'requested', to: 'provisioning', patch: { vmRef: 'vm-1' }, now: T0 + 1 });
      expect(moved).toMatchObject({ state: 'provisioning', vmRef: 'vm-1', updatedAt: T0 + 1 });
      expect(await store.transition(box.id, { from: 'requested', to: 'provisioning', now: T0 + 2 })).toBeNull();
      expect(await store.transition('box_doesnotexist', { from: 'requested', to: 'provisioning', now: T0 })).toBeNull();
    });

    it('lets exactly one of two racing transitions win', async () => {
      const box = await create('race');
      const results = await Promise.all([
        store.transition(box.id, { from: 'requested', to: 'provisioning', now: T0 + 1 }),
        store.transition(box.id, { from: 'requested', to: 'failed', patch: { error: 'deadline' }, now: T0 + 1 }),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('refuses a move the state machine forbids with ERR_INVALID_TRANSITION', async () => {
      const box = await create('bad');
      const error = await store.transition(box.id, { from: 'requested', to: 'ready', now: T0 }).catch((e: unknown) => e);
      expect(isCacError(error) && error.code).toBe('ERR_INVALID_TRANSITION');
      expect((await store.get(box.id))?.state).toBe('requested');
    });

    it('updates fields without a state change, guarded by state and fence when given', async () => {
      const box = await create('upd');
      await store.transition(box.id, { from: 'requested', to: 'provisioning', now: T0 });
      const step = { name: 'vm_create', startedAt: T0, durationMs: 1234, ok: true };
      const target = { host: '10.0.0.5', port: 2222, user: 'cac', hostKey: 'ssh-ed25519 AAAAC3Nza' };
      const workspace = { folder: '/home/cac/cac/x/app', branch: 'main', configFile: null, cli: null, containerId: null, remoteUser: null, remoteWorkspaceFolder: null };
      const vmLocation = { driver: 'docker', engine: 'ABCD:EFGH' };
      const updated = await store.update(box.id, { state: 'provisioning', fence: 0, patch: { steps: [step], sshTarget: target, vmRef: 'vm-9', vmLocation, workspace }, now: T0 + 5 });
      expect(updated).toMatchObject({ state: 'provisioning', steps: [step], sshTarget: target, vmRef: 'vm-9', vmLocation, workspace, updatedAt: T0 + 5 });
      expect(await store.update(box.id, { state: 'standby', patch: { error: 'x' }, now: T0 + 6 })).toBeNull();
      const cleared = await store.update(box.id, { patch: { vmRef: null, error: 'boom', branch: undefined }, now: T0 + 7 });
      expect(cleared).toMatchObject({ vmRef: null, error: 'boom', branch: 'main', steps: [step] });
      expect(await store.get(box.id)).toEqual(cleared);
      expect(await store.update('box_doesnotexist', { patch: { error: 'x' }, now: T0 })).toBeNull();
    });

    it('lists by pool and state, oldest first, and keeps the per-state counts in step', async () => {
      const a = await seedStandby(store, T0 + 1);
      const b = await seedStandby(store, T0 + 2);
      const c = await create('req', T0 + 3);
      const d = await seedStandby(store, T0 + 4, 'dev');
      await store.claimStandby(POOL, claimAt(T0 + 10));
      await store.transition(c.id, { from: 'requested', to: 'failed', patch: { error: 'no capacity' }, now: T0 + 11 });
      const ids = (boxes: Box[]) => boxes.map((x) => x.id);
      expect(ids(await store.list())).toEqual([a.id, b.id, c.id, d.id]);
      expect(ids(await store.list({ poolKey: POOL }))).toEqual([a.id, b.id, c.id]);
      expect(ids(await store.list({ states: ['standby'] }))).toEqual([b.id, d.id]);
      expect(ids(await store.list({ poolKey: POOL, states: ['claimed', 'failed'] }))).toEqual([a.id, c.id]);
      expect(await store.list({ states: [] })).toEqual([]);
      expect(await store.poolCounts(POOL)).toEqual({ requested: 0, provisioning: 0, standby: 1, updating: 0, claimed: 1, ready: 0, releasing: 0, destroyed: 0, failed: 1 });
      await store.transition(c.id, { from: 'failed', to: 'releasing', now: T0 + 12 });
      await store.transition(c.id, { from: 'releasing', to: 'destroyed', now: T0 + 13 });
      expect(await store.poolCounts(POOL)).toMatchObject({ failed: 0, releasing: 0, destroyed: 1 });
      expect(ids(await store.list({ states: ['destroyed'] }))).toEqual([c.id]);
    });

    it('gives 10 standby boxes to exactly 10 of 50 concurrent claims', async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => seedStandby(store, T0 + i)));
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.claimStandby(POOL, claimAt(T0 + 100, `c${i}`))));
      const winners = results.filter((r): r is Box => r !== null);
      expect(winners).toHaveLength(10);
      expect(new Set(winners.map((w) => w.id)).size).toBe(10);
      for (const w of winners) expect(await store.get(w.id)).toMatchObject({ state: 'claimed', claimant: w.claimant, fence: 1 });
      expect((await store.poolCounts(POOL)).claimed).toBe(10);
    });

    it('leases a lock to one token at a time; only the holder extends or releases it', async () => {
      expect(await store.acquireLock('reconcile', 'tok-a', 5_000)).toBe(true);
      expect(await store.acquireLock('reconcile', 'tok-b', 5_000)).toBe(false);
      expect(await store.acquireLock('reconcile', 'tok-a', 5_000)).toBe(false);
      expect(await store.acquireLock('other', 'tok-b', 5_000)).toBe(true);
      expect(await store.extendLock('reconcile', 'tok-b', 5_000)).toBe(false);
      expect(await store.releaseLock('reconcile', 'tok-b')).toBe(false);
      expect(await store.extendLock('reconcile', 'tok-a', 5_000)).toBe(true);
      expect(await store.releaseLock('reconcile', 'tok-a')).toBe(true);
      expect(await store.releaseLock('reconcile', 'tok-a')).toBe(false);
      expect(await store.acquireLock('reconcile', 'tok-b', 5_000)).toBe(true);
    });

    it('says whether a token holds a lock now: never after its lease ran out or it was released', async () => {
      expect(await store.holdsLock('fenced', 'tok-a')).toBe(false);
      expect(await store.acquireLock('fenced', 'tok-a', 200)).toBe(true);
      expect(await store.holdsLock('fenced', 'tok-a')).toBe(true);
      expect(await store.holdsLock('fenced', 'tok-b')).toBe(false);
      expect(await store.holdsLock('other', 'tok-a')).toBe(false);
      await sleep(300);
      expect(await store.holdsLock('fenced', 'tok-a')).toBe(false);
      expect(await store.acquireLock('fenced', 'tok-b', 5_000)).toBe(true);
      expect(await store.holdsLock('fenced', 'tok-b')).toBe(true);
      expect(await store.releaseLock('fenced', 'tok-b')).toBe(true);
      expect(await store.holdsLock('fenced', 'tok-b')).toBe(false);
    });

    it('lets a lock expire, and keeps it past its first TTL when extended', async () => {
      expect(await store.acquireLock('short', 'tok-a', 200)).toBe(true);
      expect(await store.acquireLock('kept', 'tok-a', 200)).toBe(true);
      expect(await store.acquireLock('lapsed', 'tok-a', 200)).toBe(true);
      await sleep(50);
      expect(await store.extendLock('kept', 'tok-a', 2_000)).toBe(true);
      await sleep(250);
      expect(await store.acquireLock('short', 'tok-b', 1_000)).toBe(true);
      expect(await store.releaseLock('short', 'tok-a')).toBe(false);
      expect(await store.acquireLock('kept', 'tok-b', 1_000)).toBe(false);
      expect(await store.extendLock('short', 'tok-a', 1_000)).toBe(false);
      expect(await store.extendLock('lapsed', 'tok-a', 1_000)).toBe(false); // expired, though nobody took it
      expect(await store.releaseLock('lapsed', 'tok-a')).toBe(false);
    });

    it('counts consecutive failures per pool, resets them, and pauses', async () => {
      expect(await store.getPoolHealth(POOL)).toEqual({ consecutiveFailures: 0, lastFailureAt: null, paused: false });
      expect(await store.recordFailure(POOL, T0)).toBe(1);
      expect(await store.recordFailure(POOL, T0 + 5)).toBe(2);
      expect(await store.recordFailure(OTHER_POOL, T0 + 9)).toBe(1);
      expect(await store.getPoolHealth(POOL)).toEqual({ consecutiveFailures: 2, lastFailureAt: T0 + 5, paused: false });
      await store.setPaused(POOL, true);
      expect(await store.getPoolHealth(POOL)).toMatchObject({ paused: true, consecutiveFailures: 2 });
      expect((await store.getPoolHealth(OTHER_POOL)).paused).toBe(false);
      await store.resetFailures(POOL);
      expect((await store.getPoolHealth(POOL)).consecutiveFailures).toBe(0);
      expect(await store.recordFailure(POOL, T0 + 20)).toBe(1);
      await store.setPaused(POOL, false);
      expect(await store.getPoolHealth(POOL)).toEqual({ consecutiveFailures: 1, lastFailureAt: T0 + 20, paused: false });
      expect((await store.getPoolHealth(OTHER_POOL)).consecutiveFailures).toBe(1);
    });

    it('counts warm and cold claims and provisioning latency per pool', async () => {
      const zero = { warmClaims: 0, coldClaims: 0, claimLatencyMsTotal: 0, claimCount: 0, provisionLatencyMsTotal: 0, provisionCount: 0, purgedBoxes: 0, purgedBoxMsTotal: 0 };
      expect(await store.poolStats(POOL)).toEqual(zero);
      await store.recordClaim(POOL, { warm: true, latencyMs: 40.4 });
      await store.recordClaim(POOL, { warm: true, latencyMs: 60 });
      await store.recordClaim(POOL, { warm: false, latencyMs: 30_000 });
      await store.recordProvision(POOL, { latencyMs: 45_000 });
      await store.recordProvision(OTHER_POOL, { latencyMs: 1 });
      expect(await store.poolStats(POOL)).toEqual({
        warmClaims: 2,
        coldClaims: 1,
        claimLatencyMsTotal: 30_100,
        claimCount: 3,
        provisionLatencyMsTotal: 45_000,
        provisionCount: 1,
        purgedBoxes: 0,
        purgedBoxMsTotal: 0,
      });
      expect(await store.poolStats(OTHER_POOL)).toEqual({ ...zero, provisionLatencyMsTotal: 1, provisionCount: 1 });
    });

    it('holds an updating box away from claims, records its commit, config hash and head check, and gives it back to standby', async () => {
      const box = await seedStandby(store, T0);
      const updating = await store.transition(box.id, { from: 'standby', fence: box.fence, to: 'updating', now: T0 + 1 });
      expect(updating).toMatchObject({ state: 'updating', commit: null, configHash: null, head: null });
      expect(await store.claimStandby(POOL, claimAt(T0 + 2))).toBeNull();
      expect((await store.poolCounts(POOL)).updating).toBe(1);
      const head = { commit: 'b'.repeat(40), behind: 0, at: T0 + 3 };
      const back = await store.transition(box.id, { from: 'updating', fence: box.fence, to: 'standby', patch: { commit: 'b'.repeat(40), configHash: 'c0ffee', head }, now: T0 + 3 });
      expect(back).toMatchObject({ state: 'standby', commit: 'b'.repeat(40), configHash: 'c0ffee', head });
      expect(await store.get(box.id)).toEqual(back);
      expect((await store.claimStandby(POOL, claimAt(T0 + 4)))?.id).toBe(box.id);
      const unknown = await store.update(box.id, { state: 'claimed', patch: { head: { ...head, behind: null } }, now: T0 + 5 });
      expect((await store.get(box.id))?.head).toEqual({ ...head, behind: null });
      expect(unknown?.head?.behind).toBeNull();
    });

    it('records why a box was released, and a renewed lease through compare-and-set then a fence bump', async () => {
      const box = await seedStandby(store, T0);
      const claimed = await store.claimStandby(POOL, claimAt(T0 + 1));
      const ready = claimed && (await store.transition(box.id, { from: 'claimed', fence: claimed.fence, to: 'ready', now: T0 + 2 }));
      if (!ready) throw new Error('no ready box');
      const renewed = await store.update(box.id, { state: 'ready', fence: ready.fence, patch: { leaseExpiresAt: T0 + 500_000 }, now: T0 + 3 });
      expect(renewed).toMatchObject({ leaseExpiresAt: T0 + 500_000, fence: ready.fence });
      expect(await store.bumpFence(box.id, { state: 'ready', fence: ready.fence, now: T0 + 3 })).toMatchObject({ fence: ready.fence + 1, leaseExpiresAt: T0 + 500_000 });
      // a reconcile that saw the old lease (and so the old fence) loses its release
      expect(await store.transition(box.id, { from: 'ready', fence: ready.fence, to: 'releasing', patch: { releaseReason: 'lease expired' }, now: T0 + 4 })).toBeNull();
      const releasing = await store.transition(box.id, { from: 'ready', fence: ready.fence + 1, to: 'releasing', patch: { releaseReason: 'lease expired at T' }, now: T0 + 5 });
      expect(releasing).toMatchObject({ state: 'releasing', releaseReason: 'lease expired at T' });
      expect(await store.get(box.id)).toEqual(releasing);
    });

    it('keeps what reconcile measured of a held box (activity) through a compare-and-set patch', async () => {
      const box = await seedStandby(store, T0);
      const claimed = await store.claimStandby(POOL, claimAt(T0 + 1));
      const ready = claimed && (await store.transition(box.id, { from: 'claimed', fence: claimed.fence, to: 'ready', now: T0 + 2 }));
      if (!ready) throw new Error('no ready box');
      expect(ready.activity).toBeNull();
      const activity = { checkedAt: T0 + 3, lastActiveAt: T0 + 3, cpuUsec: 123_456_789, activeBy: 'first probe' };
      expect(await store.update(box.id, { state: 'ready', fence: ready.fence + 1, patch: { activity }, now: T0 + 3 })).toBeNull();
      const measured = await store.update(box.id, { state: 'ready', fence: ready.fence, patch: { activity }, now: T0 + 3 });
      expect(measured).toMatchObject({ activity, fence: ready.fence });
      expect(await store.get(box.id)).toEqual(measured);
    });

    it('purges destroyed records written before the cutoff, keeping their count and box time in the pool stats', async () => {
      const destroy = async (now: number, end: number, baseBranch = 'main') => {
        const b = await seedStandby(store, now, baseBranch);
        await store.transition(b.id, { from: 'standby', to: 'releasing', now: end });
        return store.transition(b.id, { from: 'releasing', to: 'destroyed', now: end });
      };
      const old = await destroy(T0, T0 + 3_600_000);
      const otherPool = await destroy(T0, T0 + 60_000, 'dev');
      const recent = await destroy(T0, T0 + 9_000_000);
      const live = await seedStandby(store, T0);
      expect((await store.purgeDestroyed(T0 + 5_000_000)).sort()).toEqual([old?.id, otherPool?.id].sort());
      expect(await store.get(old?.id ?? '')).toBeNull();
      expect((await store.list()).map((b) => b.id).sort()).toEqual([recent?.id, live.id].sort());
      expect(await store.poolStats(POOL)).toMatchObject({ purgedBoxes: 1, purgedBoxMsTotal: 3_600_000 });
      expect(await store.poolStats(OTHER_POOL)).toMatchObject({ purgedBoxes: 1, purgedBoxMsTotal: 60_000 });
      expect((await store.poolCounts(POOL)).destroyed).toBe(1);
      // the idempotency key is free again: a create under it records a new box
      expect((await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0, now: T0 }, { idempotencyKey: old?.idempotencyKey ?? '' })).id).not.toBe(old?.id);
      expect(await store.purgeDestroyed(T0 + 5_000_000)).toEqual([]);
    });

    it('keeps the first of several writers of a shared secret, and gives every writer that one', async () => {
      expect(await store.getSecret('ssh-identity')).toBeNull();
      const values = ['cac:v1:aaaaaaaa:one', 'cac:v1:bbbbbbbb:two', 'cac:v1:cccccccc:three'];
      const stored = await Promise.all(values.map((v) => store.putSecretIfAbsent('ssh-identity', v)));
      const first = stored[0] as string;
      expect(values).toContain(first);
      expect(stored).toEqual([first, first, first]);
      expect(await store.getSecret('ssh-identity')).toBe(first);
      expect(await store.putSecretIfAbsent('ssh-identity', 'cac:v1:dddddddd:late')).toBe(first);
      expect(await store.getSecret('other')).toBeNull();
    });

    fleetLeaseCases(() => store);
  });
}
