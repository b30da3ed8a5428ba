// One reconciler at a time (docs/architecture.md rule 4): a lease lock with a random token, extended while the
// work runs and released by compare-and-delete. A holder that dies loses it when the lease runs out.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacError } from '../../errors.js';
import type { BoxStore } from '../../ports/box-store.js';

export interface LeaseLockOptions {
  /** Lease length; the holder extends it every third of it. */
  ttlMs: number;
  /** How long to wait for a held lock (a dead holder's lease runs out within ttlMs). */
  waitMs: number;
  signal?: AbortSignal;
  /** Poll interval while waiting; default 250 ms. */
  pollMs?: number;
}

export type LockedRun<T> = { taken: true; value: T } | { taken: false };

/**
 * Runs `work` while holding the lock `name`. `work` gets a signal that aborts when the lease is lost
 * (it could not be extended), so it stops before a second holder starts.
 */
export async function withLeaseLock<T>(store: BoxStore, name: string, opts: LeaseLockOptions, work: (lost: AbortSignal) => Promise<T>): Promise<LockedRun<T>> {
  const token = randomUUID();
  const giveUpAt = Date.now() + opts.waitMs;
  const sig = opts.signal ? { signal: opts.signal } : {};
  while (!(await store.acquireLock(name, token, opts.ttlMs))) {
    if (Date.now() >= giveUpAt) return { taken: false };
    await sleep(opts.pollMs ?? 250, undefined, sig);
  }
  const lost = new AbortController();
  const extend = async () => {
    const ok = await store.extendLock(name, token, opts.ttlMs).catch(() => false);
    if (!ok) lost.abort(new CacError('ERR_LOCK_LOST', `lost the ${name} lock (its lease could not be extended)`));
  };
  const timer = setInterval(() => void extend(), Math.max(50, Math.floor(opts.ttlMs / 3)));
  try {
    return { taken: true, value: await work(lost.signal) };
  } finally {
    clearInterval(timer);
    await store.releaseLock(name, token).catch(() => false);
  }
}
