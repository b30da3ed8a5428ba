import { describe, expect, it } from 'vitest';
import { planOrphans } from '../../../src/core/boxes/plan-pool.js';
import { makeBox, T0 } from '../../fakes/box.js';

const GRACE = 600_000;
const NOW = T0 + 3_600_000;
const HERE = { driver: 'docker', engine: 'ENGINE-A' };
const vm = (vmRef: string, boxId: string, createdAt = T0) => ({ vmRef, boxId, createdAt });

describe('planOrphans', () => {
  it('destroys a tagged VM with no record once it is older than the grace period', () => {
    const plan = planOrphans([vm('vm-old', 'box_gone'), vm('vm-new', 'box_new', NOW - GRACE + 1), vm('vm-edge', '', NOW - GRACE)], [], NOW, GRACE, HERE);
    expect(plan.destroyVms).toEqual([
      { vmRef: 'vm-old', reason: 'no record for box box_gone' },
      { vmRef: 'vm-edge', reason: 'no record for box (none)' },
    ]);
  });

  it('destroys the VM of a destroyed record, and a second VM made for a box that uses another', () => {
    const destroyed = makeBox({ state: 'destroyed', vmRef: 'vm-1' });
    const twin = makeBox({ state: 'ready', vmRef: 'vm-2' });
    const plan = planOrphans([vm('vm-1', destroyed.id), vm('vm-2', twin.id), vm('vm-2b', twin.id)], [destroyed, twin], NOW, GRACE, HERE);
    expect(plan.destroyVms.map((d) => d.vmRef)).toEqual(['vm-1', 'vm-2b']);
    expect(plan.failBoxes).toEqual([]);
  });

  it('keeps VMs of live, failed (evidence) and not-yet-recorded (vmRef null) boxes', () => {
    const live = makeBox({ state: 'standby', vmRef: 'vm-a' });
    const failed = makeBox({ state: 'failed', vmRef: 'vm-b' });
    const pending = makeBox({ state: 'provisioning', vmRef: null });
    const plan = planOrphans([vm('vm-a', live.id), vm('vm-b', failed.id), vm('vm-c', pending.id)], [live, failed, pending], NOW, GRACE, HERE);
    expect(plan).toEqual({ destroyVms: [], failBoxes: [] });
  });

  it('fails records whose VM is gone, only in states that must have one', () => {
    const states = ['provisioning', 'standby', 'claimed', 'ready', 'releasing', 'failed', 'destroyed'] as const;
    const records = states.map((state, i) => makeBox({ state, vmRef: `vm-${i}`, createdAt: T0 + i }));
    const plan = planOrphans([], records, NOW, GRACE, HERE);
    expect(plan.failBoxes.map((f) => f.id)).toEqual(records.slice(0, 4).map((r) => r.id));
    expect(plan.failBoxes[0]?.reason).toBe('its VM vm-0 is gone');
    expect(planOrphans([], [makeBox({ state: 'requested', vmRef: null })], NOW, GRACE, HERE).failBoxes).toEqual([]);
  });

  it("never fails a record whose VM runs on another host's engine for being missing from this listing", () => {
    const mine = makeBox({ state: 'standby', vmRef: 'vm-mine', vmLocation: HERE, createdAt: T0 });
    const theirs = makeBox({ state: 'standby', vmRef: 'vm-theirs', vmLocation: { driver: 'docker', engine: 'ENGINE-B' }, createdAt: T0 + 1 });
    const otherDriver = makeBox({ state: 'ready', vmRef: 'vm-cloud', vmLocation: { driver: 'command', engine: null }, createdAt: T0 + 2 });
    const legacy = makeBox({ state: 'claimed', vmRef: 'vm-legacy', vmLocation: null, createdAt: T0 + 3 });
    const plan = planOrphans([], [mine, theirs, otherDriver, legacy], NOW, GRACE, HERE);
    expect(plan.failBoxes.map((f) => f.id)).toEqual([mine.id, legacy.id]);
  });

  it("destroys a VM on this engine whose box moved to another host's engine (a resumed box)", () => {
    const moved = makeBox({ state: 'standby', vmRef: 'vm-there', vmLocation: { driver: 'docker', engine: 'ENGINE-B' } });
    const plan = planOrphans([vm('vm-here', moved.id)], [moved], NOW, GRACE, HERE);
    expect(plan).toEqual({ destroyVms: [{ vmRef: 'vm-here', reason: `box ${moved.id} uses vm-there` }], failBoxes: [] });
  });
});
