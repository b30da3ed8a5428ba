// `pool reconcile --dry-run` changes nothing anywhere: the store is compared before and after a dry run
// that has plenty to plan (a box past its deadline, an expired lease, an orphan VM, a fleet host that went
// down and one that came back). The real round afterwards shows the same setup does write.
import { describe, expect, it } from 'vitest';
import { fleetHosts } from '../../../src/adapters/vm/fleet-hosts.js';
import { SshFleetVmDriver } from '../../../src/adapters/vm/ssh-fleet.js';
import type { SshTarget } from '../../../src/domain/box.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { CacError } from '../../../src/errors.js';
import type { ExecResult } from '../../../src/ports/host.js';
import { manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const MIN = 60_000;

/** Everything the store holds, as one comparable value. */
const snapshot = (s: MemoryBoxStore) => structuredClone({ boxes: [...s.boxes], health: [...s.health], stats: [...s.stats], locks: [...s.locks], fleet: [...s.fleet] });

describe('pool reconcile --dry-run', () => {
  it('writes nothing to the store, not even fleet host health', async () => {
    const clock = manualClock(T0);
    const store = new MemoryBoxStore(clock.now);
    // h1 is down now, h2 answers again after being marked unhealthy: a real round records both
    const run = async (target: SshTarget): Promise<ExecResult> => {
      if (target.host === 'h1') throw new CacError('ERR_SSH_CONNECT', 'connect ECONNREFUSED h1:22');
      return { exitCode: 0, stdout: '', stderr: '' };
    };
    const hosts = fleetHosts(['h1', 'h2'].map((host) => ({ host, port: 22, user: 'cac', host_key: KEY, labels: [] })));
    const driver = new SshFleetVmDriver({ hosts, leases: store, privateKey: async () => 'unused', run, now: clock.now });
    await store.setFleetHostHealth('cac@h2:22', false, 'was down');
    const late = await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + MIN, now: T0 }, { idempotencyKey: 'late' });
    await store.transition(late.id, { from: 'requested', to: 'provisioning', now: T0 });
    await store.recordFailure(`${REPO}#main`, T0 - 10 * MIN);
    clock.advance(2 * MIN);
    const manager = new DefaultPoolManager({ store, driver, steps: [], now: clock.now });
    const pools = [{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 4 }];

    const before = snapshot(store);
    const plan = await manager.reconcilePools(pools, { dryRun: true });
    expect(plan.dryRun).toBe(true);
    expect(plan.pools[0]?.plan.fails.map((f) => f.id)).toEqual([late.id]);
    expect(snapshot(store)).toEqual(before);

    // the same round for real does write (so the comparison above can see a write)
    await manager.reconcilePools(pools);
    const fleet = await store.listFleetHosts();
    expect(fleet.map((h) => [h.hostId, h.healthy])).toEqual([
      ['cac@h1:22', false],
      ['cac@h2:22', true],
    ]);
    expect(store.box(late.id).state).toBe('failed');
  });
});
