// One reconciler at a time: a lease lock with a random token, extended while the
// work runs and released by compare-and-delete. A holder that dies loses it when the lease runs out.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacError, isCacError } from '../../errors.js';
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

/** What the work holding the lock gets: a signal for a lost lease, and the check to make before each side effect. */
export interface HeldLock {
  /** Aborts when the lease could not be extended (or a check found it gone). */
  lost: AbortSignal;
  /**
   * Asks the store whether this holder's token still holds the lock (the fencing check); throws
   * ERR_LOCK_LOST (and aborts `lost`) when it does not. Call it right before each side effect.
   */
  assertHeld(): Promise<void>;
}

/** True for the error a lost lease lock produces. */
export function isLockLost(e: unknown): boolean {
  return isCacError(e) && e.code === 'ERR_LOCK_LOST';
}

/**
 * Runs `work` while holding the lock `name`. `work` gets a signal that aborts when the lease is lost
 * (it could not be extended), so it stops before a second holder starts, and a check of the lock to
 * make before each side effect (a lease can run out between two extensions: a paused process).
 */
export async function withLeaseLock<T>(store: BoxStore, name: string, opts: LeaseLockOptions, work: (lock: HeldLock) => Promise<T>): Promise<LockedRun<T>> {
  const token = randomUUID();
  const giveUpAt = Date.now() + opts.waitMs;
  const sig = opts.signal ? { signal: opts.signal } : {};
  while (!(await store.acquireLock(name, token, opts.ttlMs))) {
    if (Date.now() >= giveUpAt) return { taken: false };
    await sleep(opts.pollMs ?? 250, undefined, sig);
  }
  const lost = new AbortController();
  const lose = (why: string) => {
    if (!lost.signal.aborted) lost.abort(new CacError('ERR_LOCK_LOST', `lost the ${name} lock (${why})`));
  };
  const extend = async () => {
    const ok = await store.extendLock(name, token, opts.ttlMs).catch(() => false);
    if (!ok) lose('its lease could not be extended');
  };
  const assertHeld = async () => {
    if (!lost.signal.aborted && !(await store.holdsLock(name, token))) lose('its lease ran out');
    if (lost.signal.aborted) throw lost.signal.reason;
  };
  const timer = setInterval(() => void extend(), Math.max(50, Math.floor(opts.ttlMs / 3)));
  try {
    return { taken: true, value: await work({ lost: lost.signal, assertHeld }) };
  } finally {
    clearInterval(timer);
    await store.releaseLock(name, token).catch(() => false);
  }
}
