// The seed API on the shared store: DefaultPoolManager + AllocatorService over RedisAgentBoxStore (a key
// prefix of its own) and the real docker driver (plain SSH boxes): two reconciles at once create one box,
// then warm claim, refill, release.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { RedisAgentBoxStore } from '../../../src/adapters/store/redis.js';
import { sshLogin } from '../../../src/adapters/vm/ssh-probe.js';
import { ensureKeyPair } from '../../../src/app/ssh-key.js';
import { AllocatorService } from '../../../src/core/boxes/allocator.js';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { newRunId, removeRun, runContainers, sshPinned, testDockerDriver } from '../../helpers/box-run.js';
import { describeWith, infra } from '../../helpers/infra.js';
import { dropPrefix, uniquePrefix } from '../store/redis-prefix.js';

const RUN = newRunId('redis-pool');
const REPO = 'git@example.test:acme/redis.git';

describeWith(['docker', 'redis'], 'pools on Redis with the docker driver', () => {
  const url = infra.CAC_TEST_REDIS_URL ?? '';
  const prefix = uniquePrefix();
  afterAll(async () => {
    removeRun(RUN);
    await dropPrefix(url, prefix);
  });

  it('two reconciles at once fill the pool once; claims warm over SSH, refills and releases', async () => {
    const keys = await ensureKeyPair(mkdtempSync(join(tmpdir(), 'cac-redis-pool-')));
    const store = RedisAgentBoxStore.connect(url, { prefix });
    const driver = testDockerDriver(RUN);
    const steps = boxSteps({ driver, sshPublicKey: keys.publicKey, login: (t, o) => sshLogin(t, keys.privateKey, o) });
    const pools = [{ repoUrl: REPO, baseBranch: 'main', minStandby: 1, maxInstances: 3 }];
    const manager = new DefaultPoolManager({ store, driver, steps, options: { lockTtlMs: 2000 } });
    const alloc = new AllocatorService({ store, driver, pools, startProvisioning: () => Promise.reject(new Error('no cold boxes here')) });
    try {
      // two at once: the second waits for the lock, then finds the pool full (or gives up waiting: skipped)
      const rounds = await Promise.all([manager.reconcilePools(pools), manager.reconcilePools(pools)]);
      expect(rounds.map((r) => r.outcome).sort()).toEqual(expect.arrayContaining(['success']));
      expect(rounds.every((r) => r.outcome === 'success' || r.outcome === 'skipped')).toBe(true);
      expect(rounds.flatMap((r) => r.pools[0]?.applied?.created ?? [])).toHaveLength(1);
      expect(runContainers(RUN)).toHaveLength(1);

      const grant = await alloc.requestBox({ repoUrl: REPO, requestedBy: 'redis-test' });
      expect(grant).toMatchObject({ warm: true, box: { state: 'ready', claimant: 'redis-test' } });
      const target = grant.box.sshTarget;
      if (!target) throw new Error('no SSH target');
      expect(sshPinned(target, keys.path, 'id -un').stdout.trim()).toBe('cac');

      const refill = await manager.reconcilePools(pools);
      expect(refill.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby']);
      expect(await manager.status(pools)).toMatchObject([{ standby: 1, claimed: 1, warmClaims: 1 }]);

      expect((await alloc.releaseBox(grant.box.id)).state).toBe('destroyed');
      expect(runContainers(RUN).map((c) => c.boxId)).not.toContain(grant.box.id);
    } finally {
      await store.close();
    }
  });
});
