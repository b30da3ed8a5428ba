// Boxes at branch head: which standby boxes a round confirms, updates in place, replaces or fails
// (the pure plan), when a claim must check the head, how listings say where a box stands, and a
// reconcile round that holds each box while it updates it.
import { describe, expect, it } from 'vitest';
import { planFreshness } from '../../../src/core/boxes/freshness.js';
import type { FreshnessDeps, HeadUpdate } from '../../../src/core/boxes/freshen-apply.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import type { ProvisionStep } from '../../../src/core/provision/pipeline.js';
import { freshnessOf, needsHeadCheck } from '../../../src/domain/freshness.js';
import type { Box } from '../../../src/domain/box.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { makeBox, REPO, T0 } from '../../fakes/box.js';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const PUSHED = 'd'.repeat(40);
const at = (commit: string, behind: number | null = 0, when = T0) => ({ commit, behind, at: when });

describe('planFreshness', () => {
  it('confirms boxes at head, updates boxes behind or of unknown commit, and leaves other states alone', () => {
    const atHead = makeBox({ commit: NEW, configHash: 'h1' });
    const behind = makeBox({ commit: OLD, configHash: 'h1' });
    const unknown = makeBox({ commit: null });
    const provisioning = makeBox({ state: 'provisioning', commit: OLD });
    const failed = makeBox({ state: 'failed', commit: OLD });
    const plan = planFreshness([behind, atHead, unknown, provisioning, failed], { commit: NEW });
    expect(plan.confirm.map((b) => b.id)).toEqual([atHead.id]);
    expect(plan.update.map((a) => a.id)).toEqual([behind.id, unknown.id]);
    expect(plan.update[0]?.reason).toBe('behind: aaaaaaa → bbbbbbb');
    expect(plan.update[1]?.reason).toContain('commit unknown');
    expect(plan.replace).toEqual([]);
    expect(plan.abandoned).toEqual([]);
  });

  it('replaces a box whose devcontainer definition differs at head, when both hashes are known; else updates it (the box checks again)', () => {
    const changed = makeBox({ commit: OLD, configHash: 'h1' });
    const same = makeBox({ commit: OLD, configHash: 'h2' });
    const noHash = makeBox({ commit: OLD, configHash: null });
    const plan = planFreshness([changed, same, noHash], { commit: NEW, configHash: 'h2' });
    expect(plan.replace).toEqual([{ id: changed.id, reason: 'devcontainer definition changed at bbbbbbb (h1 → h2)' }]);
    expect(plan.update.map((a) => a.id)).toEqual([same.id, noHash.id]);
    expect(planFreshness([changed], { commit: NEW }).update.map((a) => a.id)).toEqual([changed.id]);
  });

  it('fails a box a round left updating, and only records how far claimed boxes on the base branch are behind', () => {
    const stuck = makeBox({ state: 'updating', commit: OLD });
    const claimed = makeBox({ state: 'ready', commit: OLD, claimant: 'bob' });
    const elsewhere = makeBox({ state: 'ready', commit: OLD, claimant: 'eve', branch: 'feature' });
    const plan = planFreshness([stuck, claimed, elsewhere], { commit: NEW });
    expect(plan.abandoned.map((a) => a.id)).toEqual([stuck.id]);
    expect(plan.held.map((b) => b.id)).toEqual([claimed.id]);
    expect(plan.update).toEqual([]);
  });
});

describe('needsHeadCheck and freshnessOf', () => {
  const MAX = 60_000;
  it('a claim checks a box known behind, never checked, of unknown commit, or checked longer than max_staleness ago', () => {
    expect(needsHeadCheck(makeBox({ commit: NEW, head: at(NEW) }), T0 + MAX, MAX)).toBe(false);
    expect(needsHeadCheck(makeBox({ commit: NEW, head: at(NEW) }), T0 + MAX + 1, MAX)).toBe(true);
    expect(needsHeadCheck(makeBox({ commit: OLD, head: at(NEW, 1) }), T0, MAX)).toBe(true);
    expect(needsHeadCheck(makeBox({ commit: NEW, head: null }), T0, MAX)).toBe(true);
    expect(needsHeadCheck(makeBox({ commit: null, head: at(NEW) }), T0, MAX)).toBe(true);
    expect(needsHeadCheck(makeBox({ commit: OLD, head: null, branch: 'feature' }), T0, MAX)).toBe(false);
  });

  it('says at head, N behind, behind (count unknown), unknown, or the other branch', () => {
    expect(freshnessOf(makeBox({ commit: NEW, head: at(NEW) }))).toEqual({ commit: 'bbbbbbb', behind: 0, text: 'at head', checkedAt: T0 });
    expect(freshnessOf(makeBox({ commit: OLD, head: at(NEW, 3) })).text).toBe('3 behind');
    expect(freshnessOf(makeBox({ commit: OLD, head: at(NEW, null) })).text).toBe('behind');
    expect(freshnessOf(makeBox({ commit: null, head: null }))).toEqual({ commit: null, behind: null, text: 'unknown', checkedAt: null });
    expect(freshnessOf(makeBox({ commit: OLD, branch: 'feature' })).text).toBe('on feature');
  });
});

/** A pool manager whose freshness deps are scripted: `outcome` decides each update; `during` runs while a box is held. */
function harness(outcome: (box: Box) => HeadUpdate | Error) {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const driver = new FakeVmDriver(clock.now);
  const head = { commit: NEW };
  let heads = 0;
  const updates: string[] = [];
  const during: Array<(box: Box) => Promise<void>> = [];
  // provisioning records what the repo and devcontainer steps would: the commit the box was made at and its config hash
  const recordCommit: ProvisionStep = { name: 'repo', run: async () => ({ commit: head.commit, configHash: 'h1', head: { commit: head.commit, behind: 0, at: clock.now() } }) };
  const steps = [...boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB', login: async () => {} }), recordCommit];
  const freshness: FreshnessDeps = {
    head: async () => (heads++, { ...head }),
    behind: async () => 2,
    update: async (box) => {
      updates.push(box.id);
      for (const f of during) await f(box);
      const r = outcome(box);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  const manager = new DefaultPoolManager({ store, driver, steps, freshness, now: clock.now });
  const pools = [{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 4 }];
  return { clock, store, driver, head, manager, pools, updates, during, headReads: () => heads };
}

describe('a reconcile round keeps a pool at its branch head', () => {
  it('reads the head once, updates a standby box behind in place (same VM), holding it so no claim takes it mid-update', async () => {
    const h = harness((box) => ({ kind: 'updated', commit: h.head.commit, configHash: box.configHash ?? 'h1' }));
    const one = [{ ...h.pools[0]!, minStandby: 1 }];
    await h.manager.reconcilePools(one);
    const [made] = await h.store.list({ states: ['standby'] });
    expect(made).toMatchObject({ commit: NEW, configHash: 'h1' });
    h.head.commit = PUSHED;
    const claims: Array<Box | null> = [];
    h.during.push(async (box) => {
      expect((await h.store.get(box.id))?.state).toBe('updating');
      claims.push(await h.store.claimStandby(box.poolKey, { claimant: 'bob', leaseMs: 60_000, now: h.clock.now() }));
    });
    const reads = h.headReads();
    const r = await h.manager.reconcilePools(one);
    expect(h.headReads() - reads).toBe(1);
    expect(claims).toEqual([null]);
    expect(r.pools[0]?.applied?.freshness).toMatchObject({ head: PUSHED, updated: [made?.id], replaced: [], failed: [] });
    expect(await h.store.get(made?.id ?? '')).toMatchObject({ state: 'standby', commit: PUSHED, vmRef: made?.vmRef, head: { commit: PUSHED, behind: 0 } });
    expect(r.pools[0]?.plan.creates).toBe(0);
    expect(h.driver.vms.size).toBe(1);
  });

  it('fails a box whose update failed and releases one whose definition changed; the same round makes their replacements', async () => {
    let n = 0;
    const h = harness(() => (++n === 1 ? new Error('updateContentCommand failed (exit 3)') : { kind: 'config-changed', commit: OLD, reason: 'devcontainer definition changed' }));
    await h.manager.reconcilePools(h.pools);
    const made = (await h.store.list({ states: ['standby'] })).map((b) => b.id);
    h.head.commit = OLD;
    const r = await h.manager.reconcilePools(h.pools);
    const fresh = r.pools[0]?.applied?.freshness;
    expect(fresh?.failed.map((f) => f.id)).toEqual([made[0]]);
    expect(fresh?.failed[0]?.reason).toContain('updateContentCommand failed (exit 3)');
    expect(fresh?.replaced).toEqual([made[1]]);
    expect(r.pools[0]?.plan.creates).toBe(2);
    const standby = await h.store.list({ states: ['standby'] });
    expect(standby.map((b) => b.id).filter((id) => made.includes(id))).toEqual([]);
    expect(standby).toHaveLength(2);
    expect((await h.store.get(made[1] ?? ''))?.releaseReason).toBe('devcontainer definition changed');
  });

  it('confirms boxes at head without touching them, and records how far a claimed box is behind', async () => {
    const h = harness(() => ({ kind: 'updated', commit: OLD, configHash: 'h1' }));
    await h.manager.reconcilePools(h.pools);
    const [first] = await h.store.list({ states: ['standby'] });
    const claimed = await h.store.claimStandby(first?.poolKey ?? '', { claimant: 'bob', leaseMs: 3_600_000, now: h.clock.now() });
    h.clock.advance(5_000);
    let r = await h.manager.reconcilePools(h.pools);
    expect(r.pools[0]?.applied?.freshness?.atHead).toHaveLength(1);
    expect(h.updates).toEqual([]);
    h.head.commit = OLD;
    r = await h.manager.reconcilePools(h.pools);
    expect(r.pools[0]?.applied?.freshness?.updated).toHaveLength(2);
    expect((await h.store.get(claimed?.id ?? ''))?.head).toEqual({ commit: OLD, behind: 2, at: h.clock.now() });
  });
});
