// Every box state change goes through moveBox (core/boxes/transition.ts): the state machine is checked
// before the store is asked, the store's compare-and-set sees the state and fence the caller read, and
// no other code in src/ writes a transition by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropRequested, moveBox } from '../../../src/core/boxes/transition.js';
import { isCacError } from '../../../src/errors.js';
import { MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const SRC = join(import.meta.dirname, '../../../src');

async function requested(store: MemoryBoxStore) {
  return store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 60_000, now: T0 }, { idempotencyKey: 'k' });
}

describe('moveBox', () => {
  it('moves a box from the state and fence it was seen in', async () => {
    const store = new MemoryBoxStore();
    const box = await requested(store);
    const moved = await moveBox(store, box, 'provisioning', { now: T0 + 1 });
    expect(moved).toMatchObject({ id: box.id, state: 'provisioning', updatedAt: T0 + 1 });
  });

  it('a writer holding an old fence or state loses (null) and changes nothing', async () => {
    const store = new MemoryBoxStore();
    const box = await requested(store);
    await moveBox(store, box, 'provisioning', { now: T0 + 1 });
    expect(await moveBox(store, box, 'failed', { now: T0 + 2, patch: { error: 'late' } })).toBeNull();
    expect(await moveBox(store, { ...box, state: 'provisioning', fence: box.fence + 1 }, 'failed', { now: T0 + 2 })).toBeNull();
    expect((await store.get(box.id))?.state).toBe('provisioning');
  });

  it('refuses a move the state machine forbids before the store is asked', async () => {
    const store = new MemoryBoxStore();
    const box = await requested(store);
    let asked = false;
    store.transition = async () => ((asked = true), null);
    const e = await moveBox(store, box, 'ready', { now: T0 }).catch((x: unknown) => x);
    expect(isCacError(e) && e.code).toBe('ERR_INVALID_TRANSITION');
    expect(asked).toBe(false);
  });

  it('dropRequested ends a requested box destroyed with why', async () => {
    const store = new MemoryBoxStore();
    const box = await requested(store);
    expect(await dropRequested(store, box, 'no capacity', T0 + 5)).toMatchObject({ state: 'destroyed', error: 'no capacity' });
  });
});

describe('one transition function', () => {
  it('no module in src/ but transition.ts and the stores calls BoxStore.transition', () => {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : [join(dir, d.name)]));
    const allowed = ['core/boxes/transition.ts', 'ports/box-store.ts'];
    const callers = files(SRC)
      .map((f) => relative(SRC, f))
      .filter((f) => f.endsWith('.ts') && !allowed.includes(f) && !f.startsWith('adapters/store/'))
      .filter((f) => /\.transition\(/.test(readFileSync(join(SRC, f), 'utf8')));
    expect(callers).toEqual([]);
  });
});
