import { describe, expect, it } from 'vitest';
import { AllocatorService, type AllocatorDeps } from '../../../src/core/boxes/allocator.js';
import { poolKeyOf, type Box } from '../../../src/domain/box.js';
import type { ProvisionStep } from '../../../src/core/provision/pipeline.js';
import { CacError, isCacError } from '../../../src/errors.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const POOL = poolKeyOf(REPO, 'main');
const pools = [{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 5 }];

function harness(overrides: Partial<AllocatorDeps> = {}) {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const driver = new FakeVmDriver(clock.now);
  const started: Box[] = [];
  const alloc = new AllocatorService({
    store,
    driver,
    pools,
    now: clock.now,
    leaseMs: 3_600_000,
    provisionTimeoutMs: 600_000,
    pollMs: 1,
    startProvisioning: async (box) => void started.push(box),
    ...overrides,
  });
  /** A standby box with a VM, as a reconcile leaves it. */
  const standby = async (baseBranch = 'main') => {
    const box = await store.createBox({ repoUrl: REPO, baseBranch, deadlineAt: T0 + 600_000, now: clock.now() }, { idempotencyKey: `s${Math.random()}` });
    const vm = await driver.create({ boxId: box.id, poolKey: box.poolKey, labels: {}, sshPublicKey: '' }, { idempotencyKey: box.idempotencyKey });
    await store.transition(box.id, { from: 'requested', to: 'provisioning', now: clock.now() });
    await store.update(box.id, { patch: { vmRef: vm.vmRef, sshTarget: await driver.sshTarget(vm) }, now: clock.now() });
    clock.advance(1);
    return (await store.transition(box.id, { from: 'provisioning', to: 'standby', now: clock.now() })) as Box;
  };
  return { clock, store, driver, started, alloc, standby };
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isCacError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('AllocatorService.requestBox', () => {
  it('claims the oldest warm box at once: ready, warm, leased, fenced, counted', async () => {
    const h = harness();
    const oldest = await h.standby();
    await h.standby();
    h.clock.advance(5);
    const grant = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'ticket-42' });
    expect(grant.warm).toBe(true);
    expect(grant.box).toMatchObject({ id: oldest.id, state: 'ready', claimant: 'ticket-42', warm: true, fence: 1, branch: 'main', leaseExpiresAt: h.clock.now() + 3_600_000, readyAt: h.clock.now() });
    expect(grant.box.sshTarget?.hostKey).toBe('ssh-ed25519 KEY-vm-1');
    expect(h.started).toEqual([]);
    expect(await h.store.poolStats(POOL)).toMatchObject({ warmClaims: 1, coldClaims: 0, claimCount: 1 });
    expect((await h.store.poolCounts(POOL)).standby).toBe(1);
  });

  it('hands each standby box to one requester only, however many ask at once, and never exceeds max_instances', async () => {
    const h = harness();
    for (let i = 0; i < 3; i++) await h.standby();
    const settled = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => h.alloc.requestBox({ repoUrl: REPO, requestedBy: `r${i}` })));
    const grants = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const warm = grants.filter((g) => g.warm).map((g) => g.box.id);
    expect(warm).toHaveLength(3);
    expect(new Set(warm).size).toBe(3);
    // max_instances 5: 3 warm + 2 cold; the other 3 are refused
    expect(grants.filter((g) => !g.warm)).toHaveLength(2);
    expect(new Set(grants.map((g) => g.box.id)).size).toBe(5);
    expect(settled.flatMap((r) => (r.status === 'rejected' ? [isCacError(r.reason) && r.reason.code] : []))).toEqual(['ERR_NO_CAPACITY', 'ERR_NO_CAPACITY', 'ERR_NO_CAPACITY']);
    expect(await h.store.list()).toHaveLength(5);
  });

  it('a cold request beyond max_instances: ERR_NO_CAPACITY naming the pool, nothing recorded, no worker', async () => {
    const h = harness({ pools: [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 1 }] });
    const first = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a' });
    expect(first).toMatchObject({ warm: false, box: { state: 'requested' } });
    const e = await rejection(h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'b' }));
    expect(e).toEqual({ code: 'ERR_NO_CAPACITY', message: `pool ${POOL} is full: 1 live boxes (max_instances)` });
    expect((await h.store.list()).map((b) => b.id)).toEqual([first.box.id]);
    expect(h.started.map((b) => b.id)).toEqual([first.box.id]);
    // a failed box frees its place
    await h.store.transition(first.box.id, { from: 'requested', to: 'failed', now: h.clock.now() });
    expect((await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'b' })).box.claimant).toBe('b');
  });

  it('a full pool with --wait: waits for a place, then records the box', async () => {
    const h = harness({ pools: [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 1 }], capacityPollMs: 1 });
    const first = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a' });
    const waiting = h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'b', waitForCapacity: { timeoutMs: 60_000 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(await h.store.list()).toHaveLength(1);
    await h.store.transition(first.box.id, { from: 'requested', to: 'releasing', now: h.clock.now() });
    const grant = await waiting;
    expect(grant).toMatchObject({ warm: false, box: { claimant: 'b', state: 'requested' } });
    expect(h.started.map((b) => b.claimant)).toEqual(['a', 'b']);
  });

  it('a full pool with --wait takes a warm box that turns up; past the timeout it is ERR_NO_CAPACITY', async () => {
    const h = harness({ pools: [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 2 }], capacityPollMs: 1 });
    await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a' });
    // a pool box a reconcile is provisioning fills the second place
    const poolBox = await h.store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 600_000, now: h.clock.now() }, { idempotencyKey: 'pool-box' });
    await h.store.transition(poolBox.id, { from: 'requested', to: 'provisioning', now: h.clock.now() });
    const waiting = h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'b', waitForCapacity: { timeoutMs: 60_000 } });
    await new Promise((r) => setTimeout(r, 20));
    await h.store.transition(poolBox.id, { from: 'provisioning', to: 'standby', now: h.clock.now() });
    expect(await waiting).toMatchObject({ warm: true, box: { id: poolBox.id, claimant: 'b' } });
    const late = h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'c', waitForCapacity: { timeoutMs: 50 } });
    h.clock.advance(100);
    expect((await rejection(late)).code).toBe('ERR_NO_CAPACITY');
    expect(await h.store.list()).toHaveLength(2);
  });

  it('records a cold box for the requester when the pool is empty, and starts its provisioning', async () => {
    const h = harness();
    const grant = await h.alloc.requestBox({ repoUrl: REPO, branch: 'main', requestedBy: 'ci-7' });
    expect(grant.warm).toBe(false);
    expect(grant.box).toMatchObject({ state: 'requested', claimant: 'ci-7', warm: false, fence: 1, deadlineAt: T0 + 600_000, leaseExpiresAt: T0 + 3_600_000 });
    expect(h.started.map((b) => b.id)).toEqual([grant.box.id]);
  });

  it('a request for an unconfigured repo is cold in a pool of its own branch', async () => {
    const h = harness();
    const other = 'git@example.test:acme/other.git';
    const grant = await h.alloc.requestBox({ repoUrl: other, branch: 'dev', requestedBy: 'x' });
    expect(grant).toMatchObject({ warm: false, box: { poolKey: `${other}#dev`, baseBranch: 'dev', branch: 'dev' } });
  });

  it("claims a warm box of the repo's pool for another branch, recording the branch to switch to", async () => {
    const h = harness();
    await h.standby();
    const grant = await h.alloc.requestBox({ repoUrl: REPO, branch: 'feature/login', requestedBy: 'x' });
    expect(grant).toMatchObject({ warm: true, box: { poolKey: POOL, baseBranch: 'main', branch: 'feature/login', state: 'ready' } });
    const cold = await h.alloc.requestBox({ repoUrl: REPO, branch: 'feature/other', requestedBy: 'y' });
    expect(cold).toMatchObject({ warm: false, box: { poolKey: POOL, branch: 'feature/other' } });
  });

  it('returns the same cold box for a repeated idempotency key', async () => {
    const h = harness();
    const a = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x', idempotencyKey: 'req-1' });
    h.clock.advance(1);
    const b = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x', idempotencyKey: 'req-1' });
    expect(b.box.id).toBe(a.box.id);
    expect(h.started).toHaveLength(1);
  });

  it('fails the cold box when its worker cannot start', async () => {
    const h = harness({ startProvisioning: () => Promise.reject(new Error('spawn ENOENT')) });
    await expect(h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' })).rejects.toThrow('spawn ENOENT');
    const [box] = await h.store.list();
    expect(box).toMatchObject({ state: 'failed', error: 'could not start provisioning: spawn ENOENT' });
  });

  it('runs the after-claim steps on a warm box; a failed one fails the box and the request', async () => {
    const seen: string[] = [];
    const env: ProvisionStep = { name: 'env', run: async (ctx) => void seen.push(`${ctx.box.state} ${ctx.envPayload ?? ''}`) };
    const h = harness({ afterClaim: [env] });
    await h.standby();
    const grant = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x', envPayload: 'cac:v1:k:abc' });
    expect(seen).toEqual(['claimed cac:v1:k:abc']);
    expect(grant.box.steps.map((s) => s.name)).toEqual(['env']);
    const broken = harness({ afterClaim: [{ name: 'env', run: () => Promise.reject(new Error('disk full')) }] });
    const box = await broken.standby();
    expect(await rejection(broken.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' }))).toMatchObject({ code: 'ERR_BOX_FAILED', message: expect.stringContaining('env: disk full') });
    expect(broken.store.box(box.id).state).toBe('failed');
  });

  it('a claimed box whose after-claim step finds its host key changed is failed, never returned: the next one is claimed', async () => {
    const connects: string[] = [];
    const pinned: ProvisionStep = {
      name: 'switch',
      run: async (ctx) => {
        connects.push(ctx.box.id);
        if (ctx.box.id === changed.id) throw new CacError('ERR_HOST_KEY_MISMATCH', `host key mismatch for ${ctx.box.sshTarget?.host ?? ''}`);
      },
    };
    const h = harness({ afterClaim: [pinned] });
    const changed = await h.standby();
    const sound = await h.standby();
    const grant = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    expect(grant).toMatchObject({ warm: true, box: { id: sound.id, state: 'ready', claimant: 'x' } });
    expect(connects).toEqual([changed.id, sound.id]);
    expect(h.store.box(changed.id)).toMatchObject({ state: 'failed', error: 'switch: host key mismatch for 127.0.0.1' });
    // with no sound standby box left, the request goes cold rather than handing out a changed box
    const other = await h.standby();
    const changedToo = harness({ afterClaim: [{ name: 'switch', run: () => Promise.reject(new CacError('ERR_HOST_KEY_MISMATCH', 'changed')) }] });
    const only = await changedToo.standby();
    const cold = await changedToo.alloc.requestBox({ repoUrl: REPO, requestedBy: 'y' });
    expect(cold).toMatchObject({ warm: false, box: { state: 'requested', claimant: 'y' } });
    expect(changedToo.store.box(only.id).state).toBe('failed');
    expect(h.store.box(other.id).state).toBe('standby');
  });

  it('refuses bad input with the field named', async () => {
    const h = harness();
    expect(await rejection(h.alloc.requestBox({ repoUrl: 'ftp://x/y', requestedBy: 'x' }))).toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringMatching(/^repoUrl: /) });
    expect(await rejection(h.alloc.requestBox({ repoUrl: REPO, branch: 'a..b', requestedBy: 'x' }))).toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringMatching(/^branch: /) });
    expect(await h.store.list()).toEqual([]);
  });
});

describe('AllocatorService.waitForBox, releaseBox, renewLease', () => {
  it('waits until a cold box is ready', async () => {
    const h = harness();
    const { box } = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    setTimeout(() => {
      void h.store.transition(box.id, { from: 'requested', to: 'provisioning', now: T0 }).then(() => h.store.transition(box.id, { from: 'provisioning', to: 'ready', now: T0 }));
    }, 20);
    expect((await h.alloc.waitForBox(box.id, { timeoutMs: 5000 })).state).toBe('ready');
  });

  it('reports a failed box with its error, and a timeout with a hint', async () => {
    const h = harness();
    const { box } = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    const realClock = new AllocatorService({ store: h.store, driver: h.driver, startProvisioning: async () => {}, pollMs: 5 });
    expect(await rejection(realClock.waitForBox(box.id, { timeoutMs: 30 }))).toMatchObject({ code: 'ERR_BOX_TIMEOUT', message: `box ${box.id} is still requested after 0 s` });
    await h.store.transition(box.id, { from: 'requested', to: 'failed', patch: { error: 'vm_create: no image' }, now: T0 });
    expect(await rejection(h.alloc.waitForBox(box.id, { timeoutMs: 1000 }))).toMatchObject({ code: 'ERR_BOX_FAILED', message: `box ${box.id} is failed: vm_create: no image` });
    expect(await rejection(h.alloc.waitForBox('box_nothere00000', { timeoutMs: 1000 }))).toMatchObject({ code: 'ERR_BOX_NOT_FOUND' });
  });

  it('releases a box: VM removed, record destroyed; releasing again is a no-op', async () => {
    const h = harness();
    await h.standby();
    const { box } = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    const released = await h.alloc.releaseBox(box.id);
    expect(released.state).toBe('destroyed');
    expect(h.driver.vms.size).toBe(0);
    expect((await h.alloc.releaseBox(box.id)).state).toBe('destroyed');
    expect(h.driver.calls.filter((c) => c.startsWith('destroy'))).toEqual(['destroy vm-1']);
  });

  it('releasing a box still provisioning removes the VM found by its label', async () => {
    const h = harness();
    const { box } = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    await h.store.transition(box.id, { from: 'requested', to: 'provisioning', now: T0 });
    await h.driver.create({ boxId: box.id, poolKey: box.poolKey, labels: {}, sshPublicKey: '' }, { idempotencyKey: box.idempotencyKey });
    expect((await h.alloc.releaseBox(box.id)).state).toBe('destroyed');
    expect(h.driver.vms.size).toBe(0);
  });

  it('renews the lease of a held box only', async () => {
    const h = harness();
    await h.standby();
    const { box } = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    h.clock.advance(1000);
    expect((await h.alloc.renewLease(box.id, 60_000)).leaseExpiresAt).toBe(h.clock.now() + 60_000);
    const released = await h.alloc.releaseBox(box.id);
    expect(released.releaseReason).toBe('released on request');
    expect(await rejection(h.alloc.renewLease(box.id))).toMatchObject({ code: 'ERR_LEASE_LOST' });
  });

  it('box request --ttl: the lease of a warm claim and of a cold record; a lease out of bounds is refused naming the field', async () => {
    const h = harness();
    await h.standby();
    const warm = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x', leaseMs: 90_000 });
    expect(warm.box.leaseExpiresAt).toBe(h.clock.now() + 90_000);
    const cold = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x', leaseMs: 120_000 });
    expect(cold).toMatchObject({ warm: false, box: { leaseExpiresAt: h.clock.now() + 120_000 } });
    for (const leaseMs of [0, -5, 1.5, 11 * 365 * 86_400_000]) {
      expect(await rejection(h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x', leaseMs }))).toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringMatching(/^leaseMs: /) });
    }
  });

  it('renews only for its claimant unless forced; the renewal bumps the fence so a release decided on the old lease loses', async () => {
    const h = harness();
    await h.standby();
    const { box } = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'alice', leaseMs: 60_000 });
    expect(await rejection(h.alloc.renewLease(box.id, 600_000, { claimant: 'bob' }))).toMatchObject({ code: 'ERR_NOT_CLAIMANT', message: expect.stringContaining('held by alice, not bob') });
    expect((await h.store.get(box.id))?.leaseExpiresAt).toBe(box.leaseExpiresAt);
    // past its first expiry, not yet released: the claimant may still renew it
    h.clock.advance(61_000);
    const renewed = await h.alloc.renewLease(box.id, 600_000, { claimant: 'alice' });
    expect(renewed).toMatchObject({ state: 'ready', fence: box.fence + 1, leaseExpiresAt: h.clock.now() + 600_000 });
    expect(await h.store.transition(box.id, { from: 'ready', fence: box.fence, to: 'releasing', now: h.clock.now() })).toBeNull();
    const forced = await h.alloc.renewLease(box.id, 1_000, { claimant: 'bob', force: true });
    expect(forced).toMatchObject({ claimant: 'alice', fence: box.fence + 2, leaseExpiresAt: h.clock.now() + 1_000 });
  });

  it('a box not ready yet is renewed once it is; a lease that lost its race to a release fails, never both', async () => {
    const h = harness();
    const { box } = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'x' });
    expect(await rejection(h.alloc.renewLease(box.id, 60_000, { claimant: 'x' }))).toMatchObject({ code: 'ERR_BOX_NOT_PROVISIONED' });
    await h.store.transition(box.id, { from: 'requested', to: 'provisioning', now: T0 });
    const ready = await h.store.transition(box.id, { from: 'provisioning', to: 'ready', now: T0 });
    if (!ready) throw new Error('not ready');
    // a release lands between the renewal's read and its writes
    const get = h.store.get.bind(h.store);
    h.store.get = async (id) => {
      const seen = await get(id);
      await h.store.transition(id, { from: 'ready', fence: ready.fence, to: 'releasing', now: T0 });
      return seen;
    };
    expect(await rejection(h.alloc.renewLease(box.id, 60_000, { claimant: 'x' }))).toMatchObject({ code: 'ERR_LEASE_LOST' });
    expect((await get(box.id))?.leaseExpiresAt).toBe(box.leaseExpiresAt);
  });
});
