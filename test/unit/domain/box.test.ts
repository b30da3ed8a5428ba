import { describe, expect, it } from 'vitest';
import { applyPatch, assertTransition, BOX_STATES, byAge, canTransition, newBoxRecord, poolKeyOf, type BoxState } from '../../../src/domain/box.js';
import { isCacError } from '../../../src/errors.js';
import { newBoxId } from '../../../src/util/ids.js';
import { makeBox, T0 } from '../../fakes/box.js';

// The whole table, written out: a change to the state machine must change this test too.
const ALLOWED: Record<BoxState, BoxState[]> = {
  requested: ['provisioning', 'failed', 'releasing'],
  provisioning: ['standby', 'ready', 'failed', 'releasing'],
  standby: ['claimed', 'updating', 'failed', 'releasing'],
  updating: ['standby', 'failed', 'releasing'],
  claimed: ['ready', 'failed', 'releasing'],
  ready: ['releasing'],
  releasing: ['destroyed'],
  failed: ['releasing'],
  destroyed: [],
};

describe('box state machine', () => {
  const pairs = BOX_STATES.flatMap((from) => BOX_STATES.map((to) => [from, to] as const));
  it.each(pairs)('%s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED[from].includes(to));
  });

  it('never leaves destroyed and never loops to the same state', () => {
    for (const s of BOX_STATES) {
      expect(canTransition('destroyed', s)).toBe(false);
      expect(canTransition(s, s)).toBe(false);
    }
  });

  it('throws ERR_INVALID_TRANSITION with the allowed moves for a forbidden one', () => {
    expect(() => assertTransition('standby', 'claimed')).not.toThrow();
    let error: unknown;
    try {
      assertTransition('ready', 'standby');
    } catch (e) {
      error = e;
    }
    expect(isCacError(error) && error.code).toBe('ERR_INVALID_TRANSITION');
    expect(isCacError(error) && error.details).toEqual({ from: 'ready', to: 'standby', allowed: ['releasing'] });
  });
});

describe('box records', () => {
  it('keys a pool by repository and base branch', () => {
    expect(poolKeyOf('https://example.test/a.git', 'main')).toBe('https://example.test/a.git#main');
    expect(poolKeyOf('git@example.test:a.git', 'release/1.2')).toBe('git@example.test:a.git#release/1.2');
  });

  it('makes a pool box requested with fence 0, and a cold box claimed-to-be with fence 1', () => {
    const pool = newBoxRecord({ repoUrl: 'r', baseBranch: 'main', deadlineAt: 9, now: 1 }, 'box_a', 'k');
    expect(pool).toMatchObject({ state: 'requested', branch: 'main', poolKey: 'r#main', fence: 0, claimant: null, warm: null, claimedAt: null });
    const cold = newBoxRecord({ repoUrl: 'r', baseBranch: 'main', branch: 'fix', claimant: 'bob', leaseExpiresAt: 5, deadlineAt: 9, now: 1 }, 'box_b', 'k2');
    expect(cold).toMatchObject({ state: 'requested', branch: 'fix', fence: 1, claimant: 'bob', leaseExpiresAt: 5, warm: false, claimedAt: 1 });
  });

  it('orders boxes oldest first, ties by id', () => {
    const [a, b, c] = [makeBox({ id: 'box_b', createdAt: 5 }), makeBox({ id: 'box_a', createdAt: 5 }), makeBox({ id: 'box_z', createdAt: 1 })];
    expect([a, b, c].sort(byAge).map((x) => x.id)).toEqual(['box_z', 'box_a', 'box_b']);
  });

  it('patches only the defined fields and stamps updatedAt', () => {
    const box = makeBox({ vmRef: 'vm-1', error: null });
    const next = applyPatch(box, { vmRef: null, error: 'boom', branch: undefined }, T0 + 7);
    expect(next).toEqual({ ...box, vmRef: null, error: 'boom', updatedAt: T0 + 7 });
  });

  it('makes short, unique, URL-safe box ids', () => {
    const ids = Array.from({ length: 2000 }, newBoxId);
    for (const id of ids) expect(id).toMatch(/^box_[0-9a-z]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
