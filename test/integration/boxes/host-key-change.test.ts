// A standby box whose SSH host key changed (regenerated inside the box) is no longer the box cac made:
// on the real dockerd and box image, a reconcile's standby check fails it and replaces it, and a claim
// whose after-claim step connects fails it and hands out the next box instead, never the changed one. A
// box that refuses cac's identity fails its standby check too.
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import { sshLogin } from '../../../src/adapters/vm/ssh-probe.js';
import { ensureKeyPair, type SshKeyPair } from '../../../src/app/ssh-key.js';
import { standbyCheck } from '../../../src/app/standby-check.js';
import { AllocatorService } from '../../../src/core/boxes/allocator.js';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import type { Box } from '../../../src/domain/box.js';
import type { ProvisionStep } from '../../../src/core/provision/pipeline.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { CacError } from '../../../src/errors.js';
import { boxHostKey, newRunId, removeRun, testDockerDriver } from '../../helpers/box-run.js';
import { describeWith, engineEnv } from '../../helpers/infra.js';

const RUN = newRunId('host-key');
const REPO = 'https://example.test/acme/host-key.git';
const pools = [{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 4 }];

/** A new ed25519 host key inside the box; sshd loads it for every new connection. */
function regenerateHostKey(vmRef: string): void {
  const script = "rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key";
  execFileSync('docker', ['exec', vmRef, 'sh', '-c', script], { env: { ...process.env, ...engineEnv() } });
}

describeWith(['docker'], 'a standby box whose host key changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cac-host-key-'));
  let keys: SshKeyPair;
  let store: SqliteAgentBoxStore;
  let manager: DefaultPoolManager;
  const driver = testDockerDriver(RUN);

  beforeAll(async () => {
    keys = await ensureKeyPair(dir);
    store = new SqliteAgentBoxStore(join(dir, 'boxes.db'));
    const steps = boxSteps({ driver, sshPublicKey: keys.publicKey, login: (t, o) => sshLogin(t, keys.privateKey, o) });
    manager = new DefaultPoolManager({ store, driver, steps, checkStandby: standbyCheck(keys.privateKey), options: { lockTtlMs: 10_000 } });
    const filled = await manager.reconcilePools(pools);
    expect(filled.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby', 'standby']);
  });

  afterAll(async () => {
    await store.close();
    removeRun(RUN);
    rmSync(dir, { recursive: true, force: true });
  });

  const standby = () => store.list({ states: ['standby'] });

  it('a reconcile round fails it (pinned-key handshake refused) and makes a replacement', async () => {
    const [changed, sound] = await standby();
    if (!changed?.vmRef || !sound) throw new Error('the pool has no 2 standby boxes');
    const pinned = changed.sshTarget?.hostKey;
    regenerateHostKey(changed.vmRef);
    expect(boxHostKey(changed.vmRef)).not.toBe(pinned);

    const r = await manager.reconcilePools(pools);
    expect(r.pools[0]?.applied?.unfit).toEqual([{ id: changed.id, reason: expect.stringMatching(/^failed its standby check: host key mismatch/) }]);
    expect(await store.get(changed.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/host key mismatch/) });
    expect(await store.get(sound.id)).toMatchObject({ state: 'standby' });
    expect(r.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby']);
    expect((await standby()).map((b) => b.id)).not.toContain(changed.id);
  });

  it('a claim whose after-claim step connects fails the changed box and hands out the next one', async () => {
    const [changed, next] = await standby();
    if (!changed?.vmRef || !next) throw new Error('the pool has no 2 standby boxes');
    regenerateHostKey(changed.vmRef);
    // an after-claim step that logs in to the box, as `switch` and `env` do
    const connect: ProvisionStep = {
      name: 'switch',
      run: async (ctx) => {
        const target = ctx.box.sshTarget;
        if (!target) throw new CacError('ERR_BOX_NO_SSH', 'no target');
        await sshLogin(target, keys.privateKey, { signal: ctx.signal, timeoutMs: 30_000 });
      },
    };
    const alloc = new AllocatorService({ store, driver, pools, afterClaim: [connect], startProvisioning: () => Promise.reject(new Error('no cold boxes here')) });
    const grant = await alloc.requestBox({ repoUrl: REPO, requestedBy: 'host-key-test' });
    expect(grant).toMatchObject({ warm: true, box: { id: next.id, state: 'ready', claimant: 'host-key-test' } });
    const failed: Box | null = await store.get(changed.id);
    expect(failed).toMatchObject({ state: 'failed', error: expect.stringMatching(/^switch: host key mismatch/) });
  });

  it('the standby check fails a box that refuses the identity (every host sharing the store logs in with the same one)', async () => {
    // the box the previous case handed out: sound, its host key as pinned
    const [box] = await store.list({ states: ['ready'] });
    if (!box) throw new Error('no box was handed out');
    const stranger = await ensureKeyPair(mkdtempSync(join(tmpdir(), 'cac-host-key-stranger-')));
    const error = await standbyCheck(stranger.privateKey)(box, {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SSH_AUTH' });
    await expect(standbyCheck(keys.privateKey)(box, {})).resolves.toBeUndefined();
  });
});
