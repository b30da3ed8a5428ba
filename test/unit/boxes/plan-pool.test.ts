import { describe, expect, it } from 'vitest';
import type { Box } from '../../../src/domain/box.js';
import { planPool, planPurge, type PoolSnapshot, type PoolSpec } from '../../../src/core/boxes/plan-pool.js';
import type { PoolHealth } from '../../../src/ports/box-store.js';
import { makeBox, REPO, T0 } from '../../fakes/box.js';

const MIN = 60_000;
const NOW = T0 + 3_600_000;
const spec = (overrides: Partial<PoolSpec> = {}): PoolSpec => ({
  repoUrl: REPO,
  baseBranch: 'main',
  minStandby: 2,
  maxInstances: 10,
  provisionTimeoutMs: 15 * MIN,
  failedRetentionMs: 30 * MIN,
  backoffIntervalMs: MIN,
  ...overrides,
});
const healthy: PoolHealth = { consecutiveFailures: 0, lastFailureAt: null, paused: false };
const snap = (boxes: Box[], health: Partial<PoolHealth> = {}): PoolSnapshot => ({ boxes, health: { ...healthy, ...health } });
const many = (n: number, overrides: Partial<Box>) => Array.from({ length: n }, () => makeBox(overrides));
const inFlight = (state: 'requested' | 'provisioning') => makeBox({ state, createdAt: NOW - MIN, deadlineAt: NOW + 10 * MIN });

describe('planPool: supply and limits', () => {
  it('creates up to min_standby for an empty pool', () => {
    expect(planPool(snap([]), spec(), NOW)).toMatchObject({ creates: 2, destroys: [], fails: [], releases: [] });
    expect(planPool(snap([]), spec(), NOW).blocked).toBeUndefined();
  });

  it('counts standby and in-flight (requested, provisioning) boxes as supply', () => {
    expect(planPool(snap([makeBox({ state: 'standby' })]), spec(), NOW).creates).toBe(1);
    expect(planPool(snap([inFlight('provisioning')]), spec(), NOW).creates).toBe(1);
    expect(planPool(snap([inFlight('requested'), inFlight('provisioning')]), spec(), NOW).creates).toBe(0);
    expect(planPool(snap([makeBox({ state: 'standby' }), inFlight('provisioning')]), spec({ minStandby: 3 }), NOW).creates).toBe(1);
  });

  it('does not count a cold box in flight for its requester as supply, but counts it toward max_instances', () => {
    const cold = makeBox({ state: 'provisioning', claimant: 'ticket-1', createdAt: NOW - MIN, deadlineAt: NOW + 10 * MIN });
    expect(planPool(snap([cold]), spec({ minStandby: 2 }), NOW).creates).toBe(2);
    expect(planPool(snap([cold, makeBox({ state: 'standby' })]), spec({ minStandby: 2, maxInstances: 2 }), NOW).creates).toBe(0);
  });

  it('does not count claimed or ready boxes as supply, but counts them toward max_instances', () => {
    const held = [...many(2, { state: 'claimed' }), makeBox({ state: 'ready' })];
    expect(planPool(snap(held), spec({ minStandby: 2, maxInstances: 10 }), NOW).creates).toBe(2);
    expect(planPool(snap(held), spec({ minStandby: 2, maxInstances: 4 }), NOW).creates).toBe(1);
    expect(planPool(snap(held), spec({ minStandby: 2, maxInstances: 3 }), NOW).creates).toBe(0);
  });

  it('counts in-flight and standby boxes toward max_instances too', () => {
    const boxes = [makeBox({ state: 'standby' }), inFlight('provisioning'), makeBox({ state: 'claimed' })];
    expect(planPool(snap(boxes), spec({ minStandby: 5, maxInstances: 4 }), NOW).creates).toBe(1);
  });

  it('caps creates at the batch size (default 5) and says how many wait', () => {
    const plan = planPool(snap([]), spec({ minStandby: 12, maxInstances: 20 }), NOW);
    expect(plan.creates).toBe(5);
    expect(plan.notes.join('\n')).toContain('7 creates left for the next round');
    expect(planPool(snap([]), spec({ minStandby: 12, maxInstances: 20, maxBatch: 2 }), NOW).creates).toBe(2);
  });

  it('never exceeds max_instances even when min_standby > max_instances', () => {
    const plan = planPool(snap([]), spec({ minStandby: 5, maxInstances: 2 }), NOW);
    expect(plan.creates).toBe(2);
    expect(plan.notes.join('\n')).toContain('min_standby 5 exceeds max_instances 2');
    expect(planPool(snap([makeBox({ state: 'claimed' })]), spec({ minStandby: 5, maxInstances: 2 }), NOW).creates).toBe(1);
  });

  it('creates nothing (and never a negative count) when already above max_instances', () => {
    const plan = planPool(snap(many(3, { state: 'claimed' })), spec({ minStandby: 2, maxInstances: 2 }), NOW);
    expect(plan.creates).toBe(0);
    expect(plan.notes.join('\n')).toContain('max_instances reached');
  });

  it('does not count failed, releasing or destroyed boxes toward max_instances', () => {
    const gone = [makeBox({ state: 'failed', updatedAt: NOW }), makeBox({ state: 'releasing' }), makeBox({ state: 'destroyed' })];
    expect(planPool(snap(gone), spec({ minStandby: 2, maxInstances: 2 }), NOW).creates).toBe(2);
  });
});

describe('planPool: max_live across all pools', () => {
  const withElsewhere = (boxes: Box[], elsewhere: number): PoolSnapshot => ({ ...snap(boxes), elsewhere });

  it('creates only the places max_live leaves after every pool, and says it is held by max_live', () => {
    const plan = planPool(withElsewhere([makeBox({ state: 'standby' })], 2), spec({ minStandby: 4, maxLive: 4 }), NOW);
    expect(plan.creates).toBe(1);
    expect(plan.held).toBe('held by max_live: 4 boxes live across all pools (boxes.max_live = 4)');
    expect(plan.notes).toContain('2 fewer creates: held by max_live: 4 boxes live across all pools (boxes.max_live = 4)');
  });

  it('creates nothing at the limit, nor above it (a lowered limit), and never a negative count', () => {
    expect(planPool(withElsewhere([], 4), spec({ maxLive: 4 }), NOW)).toMatchObject({ creates: 0, held: expect.stringContaining('4 boxes live') });
    expect(planPool(withElsewhere([makeBox({ state: 'ready', claimant: 'a' })], 9), spec({ maxLive: 4 }), NOW)).toMatchObject({ creates: 0, held: expect.stringContaining('10 boxes live') });
    expect(planPool(withElsewhere([], 0), spec({ maxLive: 0 }), NOW)).toMatchObject({ creates: 0, held: expect.stringContaining('boxes.max_live = 0') });
  });

  it('is off when null or absent, and says nothing when it does not hold a create back', () => {
    expect(planPool(withElsewhere([], 1000), spec({ maxLive: null }), NOW)).toMatchObject({ creates: 2 });
    expect(planPool(withElsewhere([], 1000), spec(), NOW).held).toBeUndefined();
    const room = planPool(withElsewhere([], 2), spec({ maxLive: 4 }), NOW);
    expect(room.creates).toBe(2);
    expect(room.held).toBeUndefined();
  });

  it('frees the places of the boxes it releases, as max_instances does', () => {
    const expired = [makeBox({ state: 'ready', claimant: 'a', leaseExpiresAt: NOW - 1 }), makeBox({ state: 'claimed', claimant: 'b', leaseExpiresAt: NOW - 1 })];
    const plan = planPool(withElsewhere(expired, 2), spec({ maxLive: 4 }), NOW);
    expect(plan).toMatchObject({ creates: 2, live: 0 });
    expect(plan.releases).toHaveLength(2);
    expect(plan.held).toBeUndefined();
  });

  it('leaves a block (paused, backoff) as the reason, not max_live', () => {
    const plan = planPool({ ...snap([], { paused: true }), elsewhere: 4 }, spec({ maxLive: 4 }), NOW);
    expect(plan.blocked).toMatch(/^paused/);
    expect(plan.held).toBeUndefined();
  });
});

describe('planPool: deadlines, leases, retention', () => {
  it('destroys failed boxes past retention, oldest first, and keeps younger ones as evidence', () => {
    const young = makeBox({ state: 'failed', createdAt: T0 + 2, updatedAt: NOW - 29 * MIN });
    const old = makeBox({ state: 'failed', createdAt: T0 + 1, updatedAt: NOW - 30 * MIN });
    const older = makeBox({ state: 'failed', createdAt: T0, updatedAt: NOW - 90 * MIN });
    const plan = planPool(snap([young, old, older]), spec(), NOW);
    expect(plan.destroys.map((d) => d.id)).toEqual([older.id, old.id]);
  });

  it('fails boxes still requested or provisioning at their deadline, and lets younger ones run', () => {
    const late = makeBox({ state: 'provisioning', createdAt: NOW - 5 * MIN, deadlineAt: NOW });
    const lateRequest = makeBox({ state: 'requested', createdAt: NOW - 5 * MIN, deadlineAt: NOW - 1 });
    const onTime = makeBox({ state: 'provisioning', createdAt: NOW - 5 * MIN, deadlineAt: NOW + 1 });
    const plan = planPool(snap([late, lateRequest, onTime]), spec({ backoffIntervalMs: 0, hardFailureLimit: 10 }), NOW);
    expect(plan.fails.map((f) => f.id).sort()).toEqual([late.id, lateRequest.id].sort());
    expect(plan.fails[0]?.reason).toContain('past its provisioning deadline');
  });

  it('applies a shortened provision timeout to boxes already in flight', () => {
    const box = makeBox({ state: 'provisioning', createdAt: NOW - 10 * MIN, deadlineAt: NOW + 5 * MIN });
    expect(planPool(snap([box]), spec({ provisionTimeoutMs: 10 * MIN }), NOW).fails.map((f) => f.id)).toEqual([box.id]);
    expect(planPool(snap([box]), spec({ provisionTimeoutMs: 11 * MIN }), NOW).fails).toEqual([]);
  });

  it('does not count a box it fails as supply', () => {
    const late = makeBox({ state: 'provisioning', createdAt: NOW - 20 * MIN, deadlineAt: NOW - 1 });
    expect(planPool(snap([late]), spec({ minStandby: 1, backoffIntervalMs: 0 }), NOW).creates).toBe(1);
  });

  it('treats the failures it plans as recorded: backoff and the hard limit apply in the same round', () => {
    const late = makeBox({ state: 'provisioning', createdAt: NOW - 20 * MIN, deadlineAt: NOW - 1 });
    const backoff = planPool(snap([late], { consecutiveFailures: 0 }), spec({ minStandby: 1 }), NOW);
    expect(backoff).toMatchObject({ creates: 0, blocked: expect.stringContaining('backoff: 1 failures') });
    const limited = planPool(snap([late], { consecutiveFailures: 2, lastFailureAt: T0 }), spec({ minStandby: 1 }), NOW);
    expect(limited.blocked).toContain('hard limit: 3 failures');
  });

  it('releases claimed and ready boxes at the end of their lease, and frees their place under max', () => {
    const expired = makeBox({ state: 'claimed', claimant: 'alice', leaseExpiresAt: NOW });
    const expiredReady = makeBox({ state: 'ready', claimant: 'bob', leaseExpiresAt: NOW - 1 });
    const leased = makeBox({ state: 'ready', claimant: 'carol', leaseExpiresAt: NOW + 1 });
    const noLease = makeBox({ state: 'claimed', claimant: 'dan', leaseExpiresAt: null });
    const plan = planPool(snap([expired, expiredReady, leased, noLease]), spec({ minStandby: 1, maxInstances: 3 }), NOW);
    expect(plan.releases.map((r) => r.id).sort()).toEqual([expired.id, expiredReady.id].sort());
    expect(plan.releases.find((r) => r.id === expired.id)?.reason).toBe(`lease of alice expired at ${new Date(NOW).toISOString()} (claimed)`);
    expect(plan.creates).toBe(1);
  });

  it('never fails, releases or destroys a standby box', () => {
    const standby = makeBox({ state: 'standby', deadlineAt: NOW - 1, leaseExpiresAt: NOW - 1, updatedAt: T0 });
    const plan = planPool(snap([standby]), spec(), NOW);
    expect([...plan.fails, ...plan.releases, ...plan.destroys]).toEqual([]);
  });
});

describe('planPool: failures and pausing', () => {
  it('backs off N × interval after N failures in a row, then creates again', () => {
    const health = { consecutiveFailures: 2, lastFailureAt: NOW - 90_000 };
    const waiting = planPool(snap([], health), spec(), NOW);
    expect(waiting.creates).toBe(0);
    expect(waiting.blocked).toBe(`backoff: 2 failures in a row; next create after ${new Date(NOW + 30_000).toISOString()}`);
    expect(planPool(snap([], health), spec(), NOW + 29_999).creates).toBe(0);
    expect(planPool(snap([], health), spec(), NOW + 30_000)).toMatchObject({ creates: 2 });
    expect(planPool(snap([], { consecutiveFailures: 1, lastFailureAt: NOW - 90_000 }), spec(), NOW).creates).toBe(2);
  });

  it('stops creates at the hard limit (default 3) however long ago, but keeps deleting', () => {
    const oldFailure = makeBox({ state: 'failed', updatedAt: T0 });
    const plan = planPool(snap([oldFailure], { consecutiveFailures: 3, lastFailureAt: T0 }), spec(), NOW);
    expect(plan).toMatchObject({ creates: 0, destroys: [{ id: oldFailure.id }], blocked: expect.stringContaining('hard limit') });
    expect(planPool(snap([], { consecutiveFailures: 3, lastFailureAt: T0 }), spec({ hardFailureLimit: 4 }), NOW).creates).toBe(2);
  });

  it('creates nothing for a paused pool, but still fails, releases and destroys', () => {
    const failed = makeBox({ state: 'failed', updatedAt: T0 });
    const late = makeBox({ state: 'provisioning', createdAt: T0, deadlineAt: T0 + 1 });
    const expired = makeBox({ state: 'claimed', leaseExpiresAt: T0 });
    const plan = planPool(snap([failed, late, expired], { paused: true }), spec(), NOW);
    expect(plan).toMatchObject({ creates: 0, blocked: expect.stringMatching(/^paused/) });
    expect([plan.destroys.length, plan.fails.length, plan.releases.length]).toEqual([1, 1, 1]);
  });

  it('reports no block for a healthy pool even when nothing is needed', () => {
    const plan = planPool(snap(many(2, { state: 'standby' })), spec(), NOW);
    expect(plan).toEqual({ creates: 0, destroys: [], fails: [], releases: [], live: 2, notes: [expect.stringContaining('supply 2')] });
  });
});

describe('planPurge: destroyed records past keep_destroyed', () => {
  it('purges only destroyed records last written more than keepMs ago, oldest first', () => {
    const keep = 7 * 86_400_000;
    const old = makeBox({ state: 'destroyed', createdAt: T0 - keep - 10, updatedAt: NOW - keep - 1 });
    const older = makeBox({ state: 'destroyed', createdAt: T0 - keep - 20, updatedAt: NOW - keep - 5 });
    const edge = makeBox({ state: 'destroyed', updatedAt: NOW - keep });
    const fresh = makeBox({ state: 'destroyed', updatedAt: NOW - 1 });
    const failed = makeBox({ state: 'failed', updatedAt: NOW - keep - 1 });
    expect(planPurge([old, edge, fresh, failed, older], NOW, keep)).toEqual([older.id, old.id]);
  });
});
