// Leases through bin/cac on the real dockerd (plain VM boxes, `provision = "vm"`, SQLite store): a warm
// claim with `--ttl`, a renewal refused to anyone but the claimant, a renewed lease that outlives its first
// expiry across a reconcile, a forced short renewal released by reconcile with its reason, and the
// destroyed record purged after `keep_destroyed` with its totals kept in the pool stats. No timing is
// asserted: the test waits for the clock to pass a recorded time, then checks states.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-lease');
const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN, USER: 'carol' };
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-lease-'));
const REPO = `file://${repo}`;

interface BoxDoc {
  id: string;
  state: string;
  fence: number;
  claimant: string | null;
  leaseExpiresAt: number | null;
  leaseRemainingMs: number | null;
  releaseReason: string | null;
  updatedAt: number;
}

const cac = (args: string[]) => runBin(args, { env });
async function json<T>(args: string[], exit = 0): Promise<T> {
  const r = await cac([...args, '--json']);
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return JSON.parse(r.stdout) as T;
}

/** Waits until the wall clock is past `at` (a time cac recorded). */
async function until(at: number): Promise<void> {
  while (Date.now() <= at) await sleep(Math.min(1_000, at - Date.now() + 10));
}

type Reconciled = { purged: string[]; pools: Array<{ applied: { released: string[] } }> };

describeWith(['docker'], 'box leases: --ttl, renew, expiry with its reason, keep_destroyed (bin/cac)', () => {
  let box: BoxDoc;

  makeBoxRepo(repo);
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(
    join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    `[boxes]\nprovision = "vm"\nkeep_destroyed = "1s"\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = 1\nmax_instances = 2\n`,
  );
  afterAll(() => {
    removeRun(RUN);
    rmSync(repo, { recursive: true, force: true });
  });

  it('box request --ttl leases the warm box for that long; bad --ttl exits 2 naming the flag', async () => {
    const bad = await cac(['box', 'request', '--repo', REPO, '--ttl', 'soon']);
    expect([bad.exitCode, bad.stderr]).toEqual([2, expect.stringContaining('error: --ttl: "soon" is not a duration')]);
    await json(['pool', 'reconcile']);
    const grant = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'alice', '--ttl', '20s']);
    expect(grant).toMatchObject({ warm: true, box: { state: 'ready', claimant: 'alice' } });
    box = grant.box;
    expect(box.leaseRemainingMs).toBeGreaterThan(0);
    expect(box.leaseRemainingMs).toBeLessThanOrEqual(20_000);
  });

  it('only the claimant renews (carol, from $USER, is refused); the renewed lease outlives its first expiry across a reconcile', async () => {
    const refused = await json<{ code: string; message: string }>(['box', 'renew', box.id, '--ttl', '10m'], 1);
    expect(refused).toMatchObject({ code: 'ERR_NOT_CLAIMANT', message: expect.stringContaining('held by alice, not carol') });
    const renewed = (await json<{ box: BoxDoc }>(['box', 'renew', box.id, '--for', 'alice', '--ttl', '10m'])).box;
    expect(renewed).toMatchObject({ state: 'ready', fence: box.fence + 1 });
    expect(renewed.leaseExpiresAt).toBeGreaterThan(box.leaseExpiresAt ?? 0);
    await until(box.leaseExpiresAt ?? 0);
    const round = await json<Reconciled>(['pool', 'reconcile']);
    expect(round.pools[0]?.applied.released).toEqual([]);
    const shown = (await json<{ box: BoxDoc }>(['box', 'show', box.id])).box;
    expect(shown).toMatchObject({ state: 'ready', leaseExpiresAt: renewed.leaseExpiresAt });
    expect(shown.leaseRemainingMs).toBeGreaterThan(0);
    const listed = (await json<{ boxes: BoxDoc[] }>(['box', 'list'])).boxes.find((b) => b.id === box.id);
    expect(listed?.leaseRemainingMs).toBeGreaterThan(0);
    const human = await cac(['box', 'show', box.id]);
    expect(human.stdout).toMatch(/^lease {6}\S+Z \(\d+[smh] left\)$/m);
    box = shown;
  });

  it('a forced short renewal runs out: reconcile releases the box and records why', async () => {
    const forced = (await json<{ box: BoxDoc }>(['box', 'renew', box.id, '--ttl', '1s', '--force'])).box;
    expect(forced).toMatchObject({ claimant: 'alice', fence: box.fence + 1 });
    await until(forced.leaseExpiresAt ?? 0);
    expect((await cac(['box', 'show', box.id])).stdout).toMatch(/^lease {6}\S+Z \(expired\)$/m);
    const round = await json<Reconciled>(['pool', 'reconcile']);
    expect(round.pools[0]?.applied.released).toEqual([box.id]);
    const gone = (await json<{ box: BoxDoc }>(['box', 'show', box.id])).box;
    expect(gone).toMatchObject({ state: 'destroyed', leaseRemainingMs: null, releaseReason: `lease of alice expired at ${new Date(forced.leaseExpiresAt ?? 0).toISOString()} (ready)` });
    expect(runContainers(RUN).map((c) => c.boxId)).not.toContain(box.id);
    box = gone;
  });

  it('the destroyed record is purged after keep_destroyed; the pool keeps its totals', async () => {
    await until(box.updatedAt + 1_000);
    const round = await json<Reconciled>(['pool', 'reconcile']);
    expect(round.purged).toEqual([box.id]);
    expect((await json<{ code: string }>(['box', 'show', box.id], 1)).code).toBe('ERR_BOX_NOT_FOUND');
    const status = await json<{ pools: Array<{ warmClaims: number; purgedBoxes: number; purgedBoxMsTotal: number; boxHoursTotal: number }> }>(['pool', 'status']);
    expect(status.pools[0]).toMatchObject({ warmClaims: 1, purgedBoxes: 1 });
    expect(status.pools[0]?.purgedBoxMsTotal).toBeGreaterThan(0);
    expect(status.pools[0]?.boxHoursTotal).toBeGreaterThan(0);
  });
});
