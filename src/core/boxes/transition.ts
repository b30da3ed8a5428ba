// The one way a box changes state. The state machine (domain/box.ts) must allow the move, and the store's
// compare-and-set makes it atomic against the state, and the fence, the caller saw (docs/architecture.md
// rule 2): a writer that lost the box gets null and stops. Only the store's own atomic operations move a
// box otherwise: createBox records it `requested`, claimStandby takes it `standby → claimed` (rule 1).
import { assertTransition, type Box, type BoxPatch, type BoxState } from '../../domain/box.js';
import type { BoxStore } from '../../ports/box-store.js';

export interface MoveOptions {
  patch?: BoxPatch;
  now: number;
  /** Compare the fence too (the default); finishing a release (`releasing → destroyed`) does not. */
  fenced?: boolean;
}

/** Moves the box from the state it was `seen` in to `to`; null when it moved on since (a lost race). */
export async function moveBox(store: BoxStore, seen: Pick<Box, 'id' | 'state' | 'fence'>, to: BoxState, opts: MoveOptions): Promise<Box | null> {
  assertTransition(seen.state, to);
  return store.transition(seen.id, {
    from: seen.state,
    ...(opts.fenced === false ? {} : { fence: seen.fence }),
    to,
    ...(opts.patch ? { patch: opts.patch } : {}),
    now: opts.now,
  });
}

/** Ends a `requested` box that never got going (no capacity, a warm box taken instead): releasing → destroyed, with why. */
export async function dropRequested(store: BoxStore, box: Box, error: string, now: number): Promise<Box | null> {
  const moved = await moveBox(store, box, 'releasing', { patch: { error }, now });
  return moved ? moveBox(store, moved, 'destroyed', { now, fenced: false }) : null;
}
