// Releasing a box: → releasing, remove its VM, → destroyed. Intent first (the state write), then the
// side effect, then the record; a crash in between leaves `releasing`, which the next reconcile finishes.
import type { BoxStore } from '../../ports/box-store.js';
import type { VmDriver } from '../../ports/vm-driver.js';
import type { Box } from '../../domain/box.js';
import { moveBox } from './transition.js';

export interface TeardownDeps {
  store: BoxStore;
  driver: VmDriver;
  now: () => number;
}

/** Removes the box's VM: by its recorded ref, else every VM labelled with the box id (a create in flight). */
export async function destroyBoxVms(driver: VmDriver, box: Box, signal?: AbortSignal): Promise<number> {
  const sig = signal ? { signal } : {};
  const refs = box.vmRef !== null ? [box.vmRef] : (await driver.list(sig)).filter((vm) => vm.boxId === box.id).map((vm) => vm.vmRef);
  for (const ref of refs) await driver.destroy(ref, sig);
  return refs.length;
}

export interface TeardownOptions {
  /** Recorded as the box's releaseReason (asked for, lease expired, retention over); a failed box keeps its error. */
  reason?: string;
  /**
   * Release from whatever state the box is in now (a person asked). Otherwise only from the state and
   * fence of `seen` (a plan decided on them); a box that moved on is left alone.
   */
  follow?: boolean;
  signal?: AbortSignal;
}

/** Tears the box down; returns its record afterwards (null when it does not exist). Idempotent. */
export async function teardownBox(deps: TeardownDeps, seen: Box, opts: TeardownOptions = {}): Promise<Box | null> {
  const { store, now } = deps;
  let box: Box | null = seen;
  // a few rounds: each lost race re-reads the box (a claim or a step write may land in between)
  for (let round = 0; box && round < 5; round++) {
    if (box.state === 'destroyed') return box;
    if (box.state !== 'releasing') {
      const patch = opts.reason ? { releaseReason: opts.reason } : {};
      const moved: Box | null = await moveBox(store, box, 'releasing', { patch, now: now() });
      if (!moved) {
        const current: Box | null = await store.get(box.id);
        if (!opts.follow && current?.state !== 'releasing') return current;
        box = current;
        continue;
      }
      box = moved;
    }
    await destroyBoxVms(deps.driver, box, opts.signal);
    const done = await moveBox(store, box, 'destroyed', { now: now(), fenced: false });
    return done ?? (await store.get(box.id));
  }
  return box;
}
