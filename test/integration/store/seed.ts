// Seeding helpers shared by the store contract, the stress test and the bench: boxes walked through the
// real state machine (requested → provisioning → standby), never written behind the store's back.
import type { Box } from '../../../src/domain/box.js';
import type { BoxStore } from '../../../src/ports/box-store.js';

export const REPO = 'https://example.test/acme/app.git';

/** One standby box of REPO at `baseBranch`, created at `now`. */
export async function seedStandby(store: BoxStore, now: number, baseBranch = 'main', key = `seed-${baseBranch}-${now}-${Math.random()}`): Promise<Box> {
  const box = await store.createBox({ repoUrl: REPO, baseBranch, deadlineAt: now + 600_000, now }, { idempotencyKey: key });
  await store.transition(box.id, { from: 'requested', to: 'provisioning', now });
  const standby = await store.transition(box.id, { from: 'provisioning', to: 'standby', now });
  if (!standby) throw new Error(`seeding ${box.id} lost a race nobody else runs`);
  return standby;
}

/** `count` standby boxes in each base branch, `concurrency` seeds in flight at once. */
export async function seedPools(store: BoxStore, branches: readonly string[], count: number, t0: number, concurrency = 200): Promise<Box[]> {
  const jobs = branches.flatMap((branch) => Array.from({ length: count }, (_, i) => ({ branch, now: t0 + i })));
  const boxes: Box[] = [];
  for (let i = 0; i < jobs.length; i += concurrency) {
    const batch = jobs.slice(i, i + concurrency);
    boxes.push(...(await Promise.all(batch.map((j) => seedStandby(store, j.now, j.branch, `seed-${j.branch}-${j.now}`)))));
  }
  return boxes;
}
