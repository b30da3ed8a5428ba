// A cold request on a driver of fixed capacity (ssh-fleet) holds capacity before its worker starts:
// none free is ERR_NO_CAPACITY at once with nothing left in flight, or, waiting, capacity or a warm
// box when one turns up.
import { describe, expect, it } from 'vitest';
import { AllocatorService } from '../../../src/core/boxes/allocator.js';
import type { Box } from '../../../src/domain/box.js';
import { CacError, isCacError } from '../../../src/errors.js';
import type { VmSpec } from '../../../src/ports/vm-driver.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

/** A fake driver with `slots` places, held per box by reserve. */
class FixedCapacityDriver extends FakeVmDriver {
  readonly held = new Set<string>();
  /** Runs inside each reserve (e.g. to move the clock or free a slot). */
  onReserve: (() => void) | undefined;

  constructor(
    clock: () => number,
    public slots: number,
  ) {
    super(clock);
  }

  override async reserve(spec: Pick<VmSpec, 'boxId'>): Promise<void> {
    this.onReserve?.();
    if (this.held.has(spec.boxId)) return;
    if (this.held.size >= this.slots) throw new CacError('ERR_NO_CAPACITY', `no free fleet host: ${this.slots} configured, ${this.held.size} leased, 0 unhealthy`);
    this.held.add(spec.boxId);
  }
}

function harness(slots: number) {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const driver = new FixedCapacityDriver(clock.now, slots);
  const started: Box[] = [];
  const alloc = new AllocatorService({
    store,
    driver,
    pools: [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 5 }],
    now: clock.now,
    provisionTimeoutMs: 600_000,
    capacityPollMs: 1,
    startProvisioning: async (box) => void started.push(box),
  });
  const inFlight = async () => (await store.list({ states: ['requested', 'provisioning'] })).map((b) => b.id);
  return { clock, store, driver, started, alloc, inFlight };
}

async function rejection(p: Promise<unknown>): Promise<CacError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isCacError(e)) throw new Error(`expected a CacError, got ${String(e)}`);
  return e;
}

describe('AllocatorService.requestBox on a driver of fixed capacity', () => {
  it('holds capacity for a cold box before its worker starts', async () => {
    const h = harness(1);
    const grant = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a' });
    expect(grant).toMatchObject({ warm: false, box: { state: 'requested' } });
    expect([...h.driver.held]).toEqual([grant.box.id]);
    expect(h.started.map((b) => b.id)).toEqual([grant.box.id]);
  });

  it('none free: ERR_NO_CAPACITY at once, no worker, and the record ends destroyed with why', async () => {
    const h = harness(0);
    const e = await rejection(h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a' }));
    expect(e).toMatchObject({ code: 'ERR_NO_CAPACITY', message: 'no free fleet host: 0 configured, 0 leased, 0 unhealthy' });
    expect(h.started).toEqual([]);
    expect(await h.inFlight()).toEqual([]);
    const [box] = await h.store.list();
    expect(box).toMatchObject({ state: 'destroyed', error: e.message });
  });

  it('two requests for one free place at once: exactly one gets it, the other starts nothing', async () => {
    const h = harness(1);
    const results = await Promise.allSettled([h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a' }), h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'b' })]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.box.id] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost.map((e) => isCacError(e) && e.code)).toEqual(['ERR_NO_CAPACITY']);
    expect(h.started.map((b) => b.id)).toEqual(won);
    expect(await h.inFlight()).toEqual(won);
  });

  it('waiting: gets the place once it frees up, and only then starts the worker', async () => {
    const h = harness(1);
    h.driver.held.add('box_someoneelse');
    let tries = 0;
    h.driver.onReserve = () => {
      tries += 1;
      if (tries === 3) h.driver.held.delete('box_someoneelse');
    };
    const grant = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a', waitForCapacity: { timeoutMs: 60_000 } });
    expect(tries).toBe(3);
    expect(grant).toMatchObject({ warm: false, box: { state: 'requested' } });
    expect([...h.driver.held]).toEqual([grant.box.id]);
    expect(h.started.map((b) => b.id)).toEqual([grant.box.id]);
  });

  it('waiting: a warm box that turns up is taken instead, and the waiting record ends destroyed', async () => {
    const h = harness(0);
    let turnedUp = false;
    h.driver.onReserve = () => {
      if (turnedUp) return;
      turnedUp = true;
      // a reconcile elsewhere finished a pool box meanwhile (the store's methods are synchronous inside)
      void h.store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 600_000, now: h.clock.now() }, { idempotencyKey: 'pool-box' }).then(async (b) => {
        await h.store.transition(b.id, { from: 'requested', to: 'provisioning', now: h.clock.now() });
        await h.store.transition(b.id, { from: 'provisioning', to: 'standby', now: h.clock.now() });
      });
    };
    const grant = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a', waitForCapacity: { timeoutMs: 60_000 } });
    expect(grant).toMatchObject({ warm: true, box: { idempotencyKey: 'pool-box', state: 'ready', claimant: 'a' } });
    expect(h.started).toEqual([]);
    const waiting = (await h.store.list()).find((b) => b.id !== grant.box.id);
    expect(waiting).toMatchObject({ state: 'destroyed', claimant: 'a', error: `a warm box (${grant.box.id}) was taken instead` });
  });

  it('waiting past the timeout: ERR_NO_CAPACITY, nothing left in flight', async () => {
    const h = harness(0);
    h.driver.onReserve = () => h.clock.advance(20_000);
    const e = await rejection(h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a', waitForCapacity: { timeoutMs: 50_000 } }));
    expect(e.code).toBe('ERR_NO_CAPACITY');
    expect(await h.inFlight()).toEqual([]);
    expect(h.started).toEqual([]);
  });

  it('waiting: a release of the waiting box ends the wait (ERR_BOX_LOST)', async () => {
    const h = harness(0);
    h.driver.onReserve = () => {
      const [id] = h.store.boxes.keys();
      if (id) void h.store.transition(id, { from: 'requested', to: 'releasing', now: h.clock.now() });
    };
    const e = await rejection(h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a', waitForCapacity: { timeoutMs: 60_000 } }));
    expect(e.code).toBe('ERR_BOX_LOST');
    expect(h.started).toEqual([]);
  });

  it('a cold box of a waiting request has its deadline after the wait', async () => {
    const h = harness(1);
    const grant = await h.alloc.requestBox({ repoUrl: REPO, requestedBy: 'a', waitForCapacity: { timeoutMs: 60_000 } });
    expect(grant.box.deadlineAt).toBe(T0 + 60_000 + 600_000);
  });
});
