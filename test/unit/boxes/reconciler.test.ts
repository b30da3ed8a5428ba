import { describe, expect, it } from 'vitest';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import { poolKeyOf, type Box, type BoxState } from '../../../src/domain/box.js';
import type { ProvisionStep } from '../../../src/core/provision/pipeline.js';
import { DefaultPoolManager, type PoolManagerOptions } from '../../../src/core/boxes/reconciler.js';
import { CacError, isCacError } from '../../../src/errors.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const MIN = 60_000;
const POOL = poolKeyOf(REPO, 'main');
const pool = (minStandby = 2, maxInstances = 5) => [{ repoUrl: REPO, baseBranch: 'main', minStandby, maxInstances }];

function harness(options: PoolManagerOptions = {}, extraSteps: ProvisionStep[] = []) {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const driver = new FakeVmDriver(clock.now);
  const steps = [...boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB', login: async () => {} }), ...extraSteps];
  const manager = new DefaultPoolManager({ store, driver, steps, now: clock.now, options: { orphanGraceMs: 10 * MIN, failedRetentionMs: 30 * MIN, ...options } });
  const states = async () => (await store.list()).map((b) => b.state).sort();
  /** A box walked to `state` with a VM (unless `vm` is false), created at the current time. */
  const box = async (state: BoxState, extra: { claimant?: string; leaseExpiresAt?: number; vm?: boolean; deadlineAt?: number } = {}): Promise<Box> => {
    const cold = extra.claimant !== undefined;
    let b = await store.createBox(
      {
        repoUrl: REPO,
        baseBranch: 'main',
        deadlineAt: extra.deadlineAt ?? clock.now() + 15 * MIN,
        now: clock.now(),
        ...(cold ? { claimant: extra.claimant, leaseExpiresAt: extra.leaseExpiresAt ?? clock.now() + MIN } : {}),
      },
      { idempotencyKey: `k${Math.random()}` },
    );
    if (state === 'requested') return b;
    b = (await store.transition(b.id, { from: 'requested', to: 'provisioning', now: clock.now() })) as Box;
    if (extra.vm !== false) {
      const vm = await driver.create({ boxId: b.id, poolKey: b.poolKey, labels: {}, sshPublicKey: '' }, { idempotencyKey: b.idempotencyKey });
      b = (await store.update(b.id, { patch: { vmRef: vm.vmRef }, now: clock.now() })) as Box;
    }
    const path: Partial<Record<BoxState, BoxState[]>> = { standby: ['standby'], claimed: ['standby', 'claimed'], ready: ['ready'], failed: ['failed'], releasing: ['failed', 'releasing'] };
    for (const to of path[state] ?? []) {
      if (to === 'claimed') b = (await store.claimStandby(b.poolKey, { claimant: extra.claimant ?? 'alice', leaseMs: MIN, now: clock.now() })) as Box;
      else b = (await store.transition(b.id, { from: b.state, to, now: clock.now() })) as Box;
    }
    return b;
  };
  return { clock, store, driver, manager, states, box };
}

describe('DefaultPoolManager.reconcilePools', () => {
  it('fills an empty pool to min_standby with provisioned standby boxes (the prototype never filled its pools)', async () => {
    const h = harness();
    const r = await h.manager.reconcilePools(pool(2));
    expect(r.outcome).toBe('success');
    expect(r.pools[0]).toMatchObject({ poolKey: POOL, configured: true, plan: { creates: 2 }, applied: { created: [expect.any(String), expect.any(String)] } });
    expect(r.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby', 'standby']);
    expect(await h.states()).toEqual(['standby', 'standby']);
    expect(h.driver.vms.size).toBe(2);
    expect((await h.manager.reconcilePools(pool(2))).pools[0]?.plan.creates).toBe(0);
    expect(h.store.locks.size).toBe(0);
  });

  it('resumes pool boxes a dead reconcile left in flight instead of creating more', async () => {
    const h = harness();
    const requested = await h.box('requested');
    const halfway = await h.box('provisioning');
    const r = await h.manager.reconcilePools(pool(2));
    expect(r.pools[0]?.plan.creates).toBe(0);
    expect(r.pools[0]?.applied?.provisioned).toEqual([
      { id: requested.id, outcome: 'standby', resumed: true },
      { id: halfway.id, outcome: 'standby', resumed: true },
    ]);
    expect(h.driver.vms.size).toBe(2);
  });

  it("never touches a cold box's provisioning (its worker owns it) but counts it toward max_instances", async () => {
    const h = harness();
    const cold = await h.box('provisioning', { claimant: 'bob', leaseExpiresAt: T0 + 60 * MIN });
    const r = await h.manager.reconcilePools(pool(2, 2));
    expect(r.pools[0]?.plan.creates).toBe(1);
    expect(r.pools[0]?.applied?.provisioned.map((p) => p.resumed)).toEqual([false]);
    expect(h.store.box(cold.id).state).toBe('provisioning');
  });

  it('fails boxes past their provisioning deadline, counts the failures and backs off', async () => {
    const h = harness({ backoffIntervalMs: MIN });
    const stuck = await h.box('provisioning', { deadlineAt: T0 + MIN });
    h.clock.advance(2 * MIN);
    const r = await h.manager.reconcilePools(pool(1));
    expect(r.pools[0]?.applied?.failed).toEqual([stuck.id]);
    expect(r.pools[0]?.plan.blocked).toMatch(/^backoff: 1 failures in a row/);
    expect(h.store.box(stuck.id)).toMatchObject({ state: 'failed', error: 'still provisioning past its provisioning deadline' });
    expect((await h.store.getPoolHealth(POOL)).consecutiveFailures).toBe(1);
    expect(h.driver.vms.size).toBe(1); // kept as evidence until retention
    h.clock.advance(MIN);
    const next = await h.manager.reconcilePools(pool(1));
    expect(next.pools[0]?.plan.creates).toBe(1);
    expect((await h.store.getPoolHealth(POOL)).consecutiveFailures).toBe(0);
  });

  it('purges destroyed records after keep_destroyed (a dry run only lists them), their totals kept in the pool stats', async () => {
    const h = harness({ keepDestroyedMs: 60 * MIN });
    const gone = await h.box('ready', { claimant: 'alice', leaseExpiresAt: T0 + 5 * MIN });
    h.clock.advance(10 * MIN);
    expect((await h.manager.reconcilePools(pool(0))).pools[0]?.applied?.released).toEqual([gone.id]);
    h.clock.advance(60 * MIN);
    expect((await h.manager.reconcilePools(pool(0))).purged).toEqual([]);
    h.clock.advance(1);
    expect((await h.manager.reconcilePools(pool(0), { dryRun: true })).purged).toEqual([gone.id]);
    expect(h.store.box(gone.id).state).toBe('destroyed');
    const r = await h.manager.reconcilePools(pool(0));
    expect(r.purged).toEqual([gone.id]);
    expect(await h.store.get(gone.id)).toBeNull();
    expect(await h.store.poolStats(POOL)).toMatchObject({ purgedBoxes: 1, purgedBoxMsTotal: 10 * MIN });
  });

  it('releases boxes past their lease, and never recycles a busy box whose lease runs (the prototype did)', async () => {
    const h = harness();
    const expired = await h.box('claimed', { claimant: 'alice' });
    const busy = await h.box('ready', { claimant: 'bob', leaseExpiresAt: T0 + 8 * 60 * MIN });
    h.clock.advance(2 * MIN);
    const r = await h.manager.reconcilePools(pool(0));
    expect(r.pools[0]?.applied?.released).toEqual([expired.id]);
    expect(h.store.box(expired.id)).toMatchObject({ state: 'destroyed', error: null, releaseReason: expect.stringMatching(/^lease of alice expired at \S+Z \(claimed\)$/) });
    expect(h.store.box(busy.id).state).toBe('ready');
    expect([...h.driver.vms.values()].map((v) => v.boxId)).toEqual([busy.id]);
  });

  it('creates within max_instances as the store counts at the write: a cold request that took a place meanwhile is not overfilled', async () => {
    const h = harness();
    const expired = await h.box('claimed', { claimant: 'alice' });
    h.clock.advance(2 * MIN);
    // while the round releases the expired box, a cold request records a box for bob
    const destroy = h.driver.destroy.bind(h.driver);
    h.driver.destroy = async (ref) => {
      await h.store.createBox({ repoUrl: REPO, baseBranch: 'main', claimant: 'bob', leaseExpiresAt: T0 + 60 * MIN, deadlineAt: T0 + 60 * MIN, now: h.clock.now() }, { idempotencyKey: 'bob' });
      await destroy(ref);
    };
    const r = await h.manager.reconcilePools(pool(2, 2));
    expect(r.pools[0]?.applied?.released).toEqual([expired.id]);
    expect(r.pools[0]?.plan.creates).toBe(2);
    expect(r.pools[0]?.applied?.created).toHaveLength(1);
    expect((await h.store.list({ states: ['requested', 'provisioning', 'standby', 'claimed', 'ready'] })).length).toBe(2);
  });

  it('destroys failed boxes once their retention is over', async () => {
    const h = harness();
    const failed = await h.box('failed');
    await h.manager.reconcilePools(pool(0));
    expect(h.store.box(failed.id).state).toBe('failed');
    h.clock.advance(31 * MIN);
    const r = await h.manager.reconcilePools(pool(0));
    expect(r.pools[0]?.applied?.destroyed).toEqual([failed.id]);
    expect(h.store.box(failed.id).state).toBe('destroyed');
    expect(h.driver.vms.size).toBe(0);
  });

  it('sweeps orphans both ways: old unrecorded VMs destroyed, records whose VM is gone failed and replaced', async () => {
    const h = harness();
    const old = h.driver.addOrphan('box_unknown00000', T0 - 11 * MIN);
    const young = h.driver.addOrphan('box_young0000000', T0 - MIN);
    const standby = await h.box('standby');
    h.driver.vms.delete(standby.vmRef ?? '');
    const r = await h.manager.reconcilePools(pool(1));
    expect(r.orphans.destroyVms.map((v) => v.vmRef)).toEqual([old]);
    expect(r.hygiene).toEqual({ vmsDestroyed: [old], boxesFailed: [standby.id], releasesFinished: [] });
    expect(h.driver.vms.has(young)).toBe(true);
    expect(h.store.box(standby.id)).toMatchObject({ state: 'failed', error: `its VM ${standby.vmRef ?? ''} is gone` });
    expect((await h.store.getPoolHealth(POOL)).consecutiveFailures).toBe(0); // a vanished VM is not a provisioning failure
    expect(r.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby']);
  });

  it('finishes releases a crash interrupted', async () => {
    const h = harness();
    const releasing = await h.box('releasing');
    const r = await h.manager.reconcilePools(pool(0));
    expect(r.hygiene?.releasesFinished).toEqual([releasing.id]);
    expect(h.store.box(releasing.id).state).toBe('destroyed');
    expect(h.driver.vms.size).toBe(0);
  });

  it('a dry run plans but changes nothing and takes no lock', async () => {
    const h = harness();
    h.driver.addOrphan('box_unknown00000', T0 - 11 * MIN);
    await h.store.acquireLock('reconcile', 'someone', 60 * MIN);
    const before = JSON.stringify([...h.store.boxes.values()]);
    const r = await h.manager.reconcilePools(pool(3), { dryRun: true });
    expect(r).toMatchObject({ outcome: 'success', dryRun: true, pools: [{ plan: { creates: 3 } }], orphans: { destroyVms: [{ reason: 'no record for box box_unknown00000' }] } });
    expect(r.pools[0]?.applied).toBeUndefined();
    expect(JSON.stringify([...h.store.boxes.values()])).toBe(before);
    expect(h.driver.calls.filter((c) => c !== 'list')).toEqual([]);
  });

  it('skips while another reconcile holds the lock, and takes a dead holder’s lock once its lease ran out', async () => {
    const h = harness({ lockTtlMs: 40 });
    await h.store.acquireLock('reconcile', 'dead-holder', 30 * MIN);
    expect(await h.manager.reconcilePools(pool(1))).toMatchObject({ outcome: 'skipped', reason: 'another reconcile holds the lock' });
    expect(await h.store.list()).toEqual([]);
    h.clock.advance(31 * MIN);
    expect((await h.manager.reconcilePools(pool(1))).outcome).toBe('success');
  });

  it('stops creating after the hard failure limit until resumed; a paused pool still gets its removals', async () => {
    const h = harness({ hardFailureLimit: 2 });
    for (let i = 0; i < 2; i++) await h.store.recordFailure(POOL, T0 - 60 * MIN);
    expect((await h.manager.reconcilePools(pool(1))).pools[0]?.plan.blocked).toMatch(/^hard limit: 2 failures in a row/);
    await h.manager.pausePool(REPO, 'main');
    const expired = await h.box('claimed', { claimant: 'alice' });
    h.clock.advance(2 * MIN);
    const paused = await h.manager.reconcilePools(pool(1));
    expect(paused.pools[0]?.plan.blocked).toMatch(/^paused/);
    expect(paused.pools[0]?.applied?.released).toEqual([expired.id]);
    await h.manager.resumePool(REPO, 'main');
    expect(await h.store.getPoolHealth(POOL)).toMatchObject({ paused: false, consecutiveFailures: 0 });
    expect((await h.manager.reconcilePools(pool(1))).pools[0]?.applied?.created).toHaveLength(1);
  });

  it('reports failed provisioning as warnings and counts it for backoff', async () => {
    const h = harness({}, [{ name: 'repo', run: () => Promise.reject(new Error('clone failed')) }]);
    const r = await h.manager.reconcilePools(pool(1));
    expect(r.outcome).toBe('warnings');
    expect(r.warnings).toEqual([expect.stringMatching(/^box box_\d+ failed: repo: clone failed$/)]);
    expect((await h.store.getPoolHealth(POOL)).consecutiveFailures).toBe(1);
  });

  it('also releases expired cold boxes of pools that are not in [[pools]]', async () => {
    const h = harness();
    const other = 'https://example.test/acme/other.git';
    const b = await h.store.createBox({ repoUrl: other, baseBranch: 'dev', claimant: 'x', leaseExpiresAt: T0 + MIN, deadlineAt: T0 + MIN, now: T0 }, { idempotencyKey: 'cold' });
    await h.store.transition(b.id, { from: 'requested', to: 'provisioning', now: T0 });
    await h.store.transition(b.id, { from: 'provisioning', to: 'ready', now: T0 });
    h.clock.advance(2 * MIN);
    const r = await h.manager.reconcilePools(pool(0));
    expect(r.pools.map((p) => [p.poolKey, p.configured])).toEqual([
      [POOL, true],
      [`${other}#dev`, false],
    ]);
    expect(r.pools[1]?.applied?.released).toEqual([b.id]);
  });

  it('stops a round that lost its lock; the boxes stay in flight for the next holder', async () => {
    let store: MemoryBoxStore | undefined;
    const gate: ProvisionStep = {
      name: 'slow',
      run: async (ctx) => {
        store?.locks.clear(); // the lease ran out and someone else may take it
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      },
    };
    const h = harness({ lockTtlMs: 60 }, [gate]);
    store = h.store;
    const r = await h.manager.reconcilePools(pool(1));
    expect(r.outcome).toBe('warnings');
    expect(r.warnings).toContain('lost the reconcile lock mid-round; the next reconcile does the rest and resumes boxes left in flight');
    expect(r.pools[0]?.applied?.provisioned).toEqual([{ id: expect.any(String), outcome: 'interrupted', resumed: false }]);
    expect(await h.states()).toEqual(['provisioning']);
  });

  it('a lock whose lease runs out mid-apply stops the round before its next side effect', async () => {
    // a long TTL: the extension timer never fires in this test, only the fencing check can see the loss
    const h = harness({ lockTtlMs: 30 * MIN });
    const first = await h.box('claimed', { claimant: 'alice' });
    const second = await h.box('claimed', { claimant: 'bob' });
    h.clock.advance(2 * MIN);
    const destroy = h.driver.destroy.bind(h.driver);
    h.driver.destroy = async (ref) => {
      await destroy(ref);
      // the process stalled past its lease while releasing; another reconcile took the lock
      h.clock.advance(31 * MIN);
      expect(await h.store.acquireLock('reconcile', 'usurper', 60 * MIN)).toBe(true);
    };
    const r = await h.manager.reconcilePools(pool(2, 5));
    expect(r.outcome).toBe('warnings');
    expect(r.warnings).toContain('lost the reconcile lock mid-round; the next reconcile does the rest and resumes boxes left in flight');
    expect(h.store.box(first.id).state).toBe('destroyed');
    expect(h.store.box(second.id).state).toBe('claimed'); // not released by a holder that lost the lock
    expect(await h.states()).toEqual(['claimed', 'destroyed']); // and nothing created
    expect(h.store.locks.get('reconcile')?.token).toBe('usurper');
  });

  it('a resumed pool box bumps its fence', async () => {
    const h = harness();
    const halfway = await h.box('provisioning');
    await h.manager.reconcilePools(pool(1));
    expect(h.store.box(halfway.id)).toMatchObject({ state: 'standby', fence: halfway.fence + 1 });
  });

  it('checks every standby box each round: one that fails (host key changed) is failed and replaced, not a pool failure', async () => {
    const h = harness();
    const changed = await h.box('standby');
    const sound = await h.box('standby');
    const checked: string[] = [];
    const checkStandby = async (b: Box) => {
      checked.push(b.id);
      if (b.id === changed.id) throw new CacError('ERR_HOST_KEY_MISMATCH', 'host key mismatch for 127.0.0.1:2201');
    };
    const manager = new DefaultPoolManager({ store: h.store, driver: h.driver, steps: boxSteps({ driver: h.driver, sshPublicKey: 'k', login: async () => {} }), now: h.clock.now, checkStandby });
    const dry = await manager.reconcilePools(pool(2), { dryRun: true });
    expect(checked).toEqual([]); // a dry run logs in nowhere
    expect(dry.pools[0]?.plan.creates).toBe(0);
    const r = await manager.reconcilePools(pool(2));
    expect(checked.sort()).toEqual([changed.id, sound.id].sort());
    const reason = 'failed its standby check: host key mismatch for 127.0.0.1:2201';
    expect(r.pools[0]?.applied?.unfit).toEqual([{ id: changed.id, reason }]);
    expect(h.store.box(changed.id)).toMatchObject({ state: 'failed', error: reason });
    expect(h.store.box(sound.id).state).toBe('standby');
    expect(r.pools[0]?.plan.creates).toBe(1);
    expect(r.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby']);
    expect((await h.store.getPoolHealth(POOL)).consecutiveFailures).toBe(0);
    // a claim now only finds sound boxes
    const claimed = [await h.store.claimStandby(POOL, { claimant: 'a', leaseMs: MIN, now: h.clock.now() }), await h.store.claimStandby(POOL, { claimant: 'b', leaseMs: MIN, now: h.clock.now() })];
    expect(claimed.map((b) => b?.id)).not.toContain(changed.id);
  });

  it('a driver out of capacity stops the round without counting a pool failure', async () => {
    const h = harness();
    h.driver.capacity = 1;
    const r = await h.manager.reconcilePools(pool(3, 5));
    expect(r.pools[0]?.applied?.created).toHaveLength(1);
    expect(await h.states()).toEqual(['destroyed', 'standby']);
    expect(r.warnings.join('\n')).toContain('no free capacity');
    expect((await h.store.getPoolHealth(POOL)).consecutiveFailures).toBe(0);
  });

  it('refuses invalid pools with the field named, before doing anything', async () => {
    const h = harness();
    for (const bad of [pool(3, 2), pool(-1), [{ ...pool()[0]!, repoUrl: 'nope' }], [...pool(), ...pool(1)]]) {
      try {
        await h.manager.reconcilePools(bad);
        throw new Error('expected an error');
      } catch (e) {
        expect(isCacError(e) && e.code).toBe('ERR_INVALID_INPUT');
      }
    }
    expect(h.store.locks.size + h.store.boxes.size).toBe(0);
  });
});
