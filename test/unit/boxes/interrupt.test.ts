// Ctrl-C during a reconcile: the round is aborted cleanly. Boxes it was provisioning (and those it had
// not started yet) are taken down with their VMs, never left `provisioning` with no worker behind them;
// the lock is released and the interruption propagates (exit 130). A lost lock is different: those boxes
// stay in flight for the next holder (reconciler.test.ts).
import { describe, expect, it } from 'vitest';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import type { ProvisionStep } from '../../../src/core/provision/pipeline.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { isAbortError } from '../../../src/errors.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

/** A step that never ends on its own: it rejects once its signal aborts (or at once, when it already has). */
const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason));
  });

const pools = (minStandby: number) => [{ repoUrl: REPO, baseBranch: 'main', minStandby, maxInstances: 5 }];

describe('an interrupted reconcile', () => {
  it('takes down the boxes it left in flight, releases the lock and rethrows the interruption', async () => {
    const clock = manualClock(T0);
    const store = new MemoryBoxStore(clock.now);
    const driver = new FakeVmDriver(clock.now);
    const user = new AbortController();
    let started = 0;
    // the step after vm_create and ssh_ready hangs until aborted: the user presses Ctrl-C meanwhile
    const hang: ProvisionStep = {
      name: 'repo',
      run: (ctx) => {
        started += 1;
        if (started === 2) user.abort();
        return untilAborted(ctx.signal);
      },
    };
    const steps = [...boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB', login: async () => {} }), hang];
    // 3 boxes, 2 at a time: two are mid-provisioning at the interrupt, the third never started
    const manager = new DefaultPoolManager({ store, driver, steps, now: clock.now, options: { concurrency: 2 } });

    const error = await manager.reconcilePools(pools(3), { signal: user.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(error)).toBe(true);
    const boxes = await store.list();
    expect(boxes.map((b) => [b.state, b.releaseReason])).toEqual([
      ['destroyed', 'interrupted while provisioning'],
      ['destroyed', 'interrupted while provisioning'],
      ['destroyed', 'interrupted while provisioning'],
    ]);
    expect(driver.vms.size).toBe(0);
    expect(store.locks.size).toBe(0);
    // nothing to resume: the next round starts over
    const next = await new DefaultPoolManager({ store, driver, steps: boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB', login: async () => {} }), now: clock.now }).reconcilePools(pools(3));
    expect(next.pools[0]?.applied?.provisioned.map((p) => [p.outcome, p.resumed])).toEqual([
      ['standby', false],
      ['standby', false],
      ['standby', false],
    ]);
  });

  it('keeps the boxes that finished before the interrupt', async () => {
    const clock = manualClock(T0);
    const store = new MemoryBoxStore(clock.now);
    const driver = new FakeVmDriver(clock.now);
    const user = new AbortController();
    let runs = 0;
    const secondHangs: ProvisionStep = {
      name: 'repo',
      run: (ctx) => {
        runs += 1;
        if (runs === 1) return Promise.resolve();
        user.abort();
        return untilAborted(ctx.signal);
      },
    };
    const steps = [...boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB', login: async () => {} }), secondHangs];
    const manager = new DefaultPoolManager({ store, driver, steps, now: clock.now, options: { concurrency: 1 } });
    const error = await manager.reconcilePools(pools(2), { signal: user.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(error)).toBe(true);
    expect((await store.list()).map((b) => b.state)).toEqual(['standby', 'destroyed']);
    expect([...driver.vms.values()].map((v) => v.boxId)).toEqual([(await store.list({ states: ['standby'] }))[0]?.id]);
  });
});
