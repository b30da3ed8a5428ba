// Several hosts, one store (README "Several hosts, one pool"): each host's driver sees only the VMs of its
// own engine. Its reconcile judges only those (a box on another host's engine is never failed for being
// missing from this listing), every box records where its VM runs, a cold box whose worker died with its
// host is failed by any host after its deadline, and two hosts reconciling at once take turns.
import { describe, expect, it } from 'vitest';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import { poolKeyOf, type Box } from '../../../src/domain/box.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const MIN = 60_000;
const pool = (minStandby: number, maxInstances = 6) => [{ repoUrl: REPO, baseBranch: 'main', minStandby, maxInstances }];

/** Two hosts sharing one store, each with its own engine. */
function fleet(lockTtlMs = 10 * MIN) {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const host = (engine: string, refPrefix: string) => {
    const driver = new FakeVmDriver(clock.now);
    driver.engine = engine;
    driver.refPrefix = refPrefix;
    const steps = boxSteps({ driver, sshPublicKey: 'ssh-ed25519 FLEET', login: async () => {} });
    const manager = new DefaultPoolManager({ store, driver, steps, now: clock.now, options: { orphanGraceMs: 10 * MIN, failedRetentionMs: 30 * MIN, lockTtlMs } });
    return { driver, manager };
  };
  return { clock, store, a: host('ENGINE-A', 'vma-'), b: host('ENGINE-B', 'vmb-') };
}

describe('several hosts sharing one store, each with its own engine', () => {
  it("records where each box's VM runs, and a reconcile on the other host never fails boxes it cannot see", async () => {
    const f = fleet();
    const filled = await f.a.manager.reconcilePools(pool(2));
    expect(filled.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby', 'standby']);
    const made = await f.store.list({ states: ['standby'] });
    expect(made.map((b) => b.vmLocation)).toEqual([
      { driver: 'fake', engine: 'ENGINE-A' },
      { driver: 'fake', engine: 'ENGINE-A' },
    ]);

    const there = await f.b.manager.reconcilePools(pool(2));
    expect(there.orphans.failBoxes).toEqual([]);
    expect(there.pools[0]).toMatchObject({ plan: { creates: 0 }, applied: { failed: [], unfit: [] } });
    expect((await f.store.list()).map((b) => b.state)).toEqual(['standby', 'standby']);
    expect(f.b.driver.vms.size).toBe(0);

    // on its own engine, a vanished VM is still found out
    f.a.driver.vms.delete(made[0]?.vmRef ?? '');
    const again = await f.a.manager.reconcilePools(pool(2));
    expect(again.orphans.failBoxes.map((x) => x.id)).toEqual([made[0]?.id]);
  });

  it('a cold box whose worker died with its host is failed by the other host after its deadline, not before', async () => {
    const f = fleet();
    const cold = (await f.store.createBox(
      { repoUrl: REPO, baseBranch: 'main', claimant: 'bob', leaseExpiresAt: T0 + 60 * MIN, deadlineAt: T0 + 15 * MIN, now: T0 },
      { idempotencyKey: 'cold-on-b' },
    )) as Box;
    const vm = await f.b.driver.create({ boxId: cold.id, poolKey: cold.poolKey, labels: {}, sshPublicKey: '' }, { idempotencyKey: cold.idempotencyKey });
    await f.store.transition(cold.id, { from: 'requested', to: 'provisioning', patch: { vmRef: vm.vmRef, vmLocation: { driver: 'fake', engine: 'ENGINE-B' } }, now: T0 });
    // host B (its engine and its worker) is gone from here on

    await f.a.manager.reconcilePools(pool(0));
    expect(f.store.box(cold.id).state).toBe('provisioning');
    f.clock.advance(16 * MIN);
    const r = await f.a.manager.reconcilePools(pool(0));
    expect(r.pools[0]?.applied?.failed).toEqual([cold.id]);
    expect(f.store.box(cold.id)).toMatchObject({ state: 'failed', error: 'still provisioning past its provisioning deadline' });
  });

  it("a pool box left in flight by a dead host's reconcile is resumed on this host's engine; the other host later destroys its old VM", async () => {
    const f = fleet();
    const box = (await f.store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 15 * MIN, now: T0 }, { idempotencyKey: 'pool-on-b' })) as Box;
    const old = await f.b.driver.create({ boxId: box.id, poolKey: box.poolKey, labels: {}, sshPublicKey: '' }, { idempotencyKey: box.idempotencyKey });
    await f.store.transition(box.id, { from: 'requested', to: 'provisioning', patch: { vmRef: old.vmRef, vmLocation: { driver: 'fake', engine: 'ENGINE-B' } }, now: T0 });

    const r = await f.a.manager.reconcilePools(pool(1));
    expect(r.pools[0]?.applied?.provisioned).toEqual([{ id: box.id, outcome: 'standby', resumed: true }]);
    const resumed = f.store.box(box.id);
    expect(resumed.vmLocation).toEqual({ driver: 'fake', engine: 'ENGINE-A' });
    expect(resumed.vmRef).not.toBe(old.vmRef);

    f.clock.advance(11 * MIN);
    const back = await f.b.manager.reconcilePools(pool(1));
    expect(back.orphans.destroyVms).toEqual([{ vmRef: old.vmRef, reason: `box ${box.id} uses ${resumed.vmRef ?? ''}` }]);
    expect(back.orphans.failBoxes).toEqual([]);
    expect(f.b.driver.vms.size).toBe(0);
    expect(f.store.box(box.id).state).toBe('standby');
  });

  it('two hosts reconciling at once: one round runs, the other is skipped or finds the pool full; the pool is filled once', async () => {
    const f = fleet(40);
    const rounds = await Promise.all([f.a.manager.reconcilePools(pool(2)), f.b.manager.reconcilePools(pool(2))]);
    expect(rounds.map((r) => r.outcome)).toContain('success');
    expect(rounds.every((r) => r.outcome === 'success' || r.outcome === 'skipped')).toBe(true);
    expect(rounds.flatMap((r) => r.pools[0]?.applied?.created ?? [])).toHaveLength(2);
    expect(f.a.driver.vms.size + f.b.driver.vms.size).toBe(2);
    expect(await f.store.poolCounts(poolKeyOf(REPO, 'main'))).toMatchObject({ standby: 2, failed: 0 });
  });
});

describe('box list and box show say where a VM runs', () => {
  it('as driver@engine (the engine ID cut short in the list), "-" before vm_create', async () => {
    const { renderBox, renderBoxList } = await import('../../../src/cli/handlers/box-render.js');
    const { makeBox } = await import('../../fakes/box.js');
    const engine = 'QX2H:7RSC:DQ3V:5PSN:MT4B:CK2W:ZG5C:A4XL:Y2J3:DLBE:6IPV:KPRL';
    const placed = makeBox({ state: 'standby', vmRef: 'c0ffee', vmLocation: { driver: 'docker', engine } });
    const fleet = makeBox({ state: 'ready', vmRef: 'host1', vmLocation: { driver: 'ssh-fleet', engine: null } });
    const fresh = makeBox({ state: 'requested' });
    const list = renderBoxList([placed, fleet, fresh], T0);
    expect(list).toContain('vm on');
    expect(list).toContain('docker@QX2H:7RSC:DQ3V');
    expect(list).not.toContain(engine);
    expect(list).toContain('ssh-fleet');
    expect(renderBox(placed, T0)).toContain(`vm on      docker@${engine}`);
    expect(renderBox(fresh, T0)).toContain('vm on      -');
  });
});
