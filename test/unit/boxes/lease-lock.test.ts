// The reconcile lock's fencing check: work under withLeaseLock asks the store before each side effect,
// and learns the lease is gone even when no extension failed yet (a stalled process).
import { describe, expect, it } from 'vitest';
import { withLeaseLock } from '../../../src/core/boxes/lease-lock.js';
import { isCacError } from '../../../src/errors.js';
import { manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { T0 } from '../../fakes/box.js';

describe('withLeaseLock', () => {
  it('assertHeld passes while the lease holds; once it ran out it throws ERR_LOCK_LOST and aborts `lost`', async () => {
    const clock = manualClock(T0);
    const store = new MemoryBoxStore(clock.now);
    const run = await withLeaseLock(store, 'reconcile', { ttlMs: 60_000, waitMs: 0 }, async ({ lost, assertHeld }) => {
      await assertHeld();
      expect(lost.aborted).toBe(false);
      clock.advance(61_000);
      await store.acquireLock('reconcile', 'other', 60_000);
      const error = await assertHeld().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCacError(error) && [error.code, error.message]).toEqual(['ERR_LOCK_LOST', 'lost the reconcile lock (its lease ran out)']);
      expect(lost.aborted).toBe(true);
      await expect(assertHeld()).rejects.toBe(error);
      return 'done';
    });
    expect(run).toEqual({ taken: true, value: 'done' });
    expect(store.locks.get('reconcile')?.token).toBe('other'); // the late holder's release leaves the new lock alone
  });
});
