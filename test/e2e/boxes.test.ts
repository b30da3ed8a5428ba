// cac pool … / cac box … through bin/cac on the real dockerd with the real box image (inner Docker
// engine on): a dry run changes nothing, reconcile fills a pool of 2, a request claims warm and logs in
// with the pinned key, the pool refills, release removes the container, an unknown pool provisions cold.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { boxHostKey, newRunId, removeRun, runContainers, sshPinned } from '../helpers/box-run.js';
import type { BoxDoc } from '../helpers/box-cli.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-boxes');
const REPO = 'https://example.test/acme/app.git';
const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN };
const cac = (args: string[]) => runBin(args, { env });
const stateDir = join(homeEnv.XDG_STATE_HOME, 'cac');
const keyFile = join(stateDir, 'ssh', 'id_ed25519');

async function json<T = Record<string, unknown>>(args: string[], exit = 0): Promise<T> {
  const r = await cac([...args, '--json']);
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return JSON.parse(r.stdout) as T;
}

const poolRow = async () => (await json<{ pools: Array<Record<string, unknown>> }>(['pool', 'status'])).pools.find((p) => p.repoUrl === REPO);

describeWith(['docker'], 'boxes and warm pools through bin/cac', () => {
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  // the VM lifecycle only (no repo behind example.test): test/e2e/box-provision.test.ts provisions in full
  writeFileSync(join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'), `[boxes]\nprovision = "vm"\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = 2\nmax_instances = 4\n`);
  afterAll(() => removeRun(RUN));

  it('pool reconcile --dry-run --json shows the plan and creates nothing', async () => {
    const plan = await json<{ outcome: string; dryRun: boolean; pools: Array<{ poolKey: string; plan: { creates: number; notes: string[] } }> }>(['pool', 'reconcile', '--dry-run']);
    expect(plan).toMatchObject({ outcome: 'success', dryRun: true, pools: [{ poolKey: `${REPO}#main`, plan: { creates: 2 } }] });
    expect(plan.pools[0]?.plan.notes[0]).toContain('supply 0 (standby 0, in flight 0) of min 2');
    expect(runContainers(RUN)).toEqual([]);
    expect((await json<{ boxes: unknown[] }>(['box', 'list', '--all'])).boxes).toEqual([]);
    expect(existsSync(keyFile)).toBe(false);
    expect(existsSync(join(stateDir, 'boxes.db'))).toBe(false); // readers create no store either
  });

  let warm: BoxDoc;

  it('reconcile fills the pool with 2 standby boxes; box request claims one warm, and SSH with the pinned key works', async () => {
    const filled = await json<{ pools: Array<{ applied: { created: string[]; provisioned: Array<{ outcome: string }> } }> }>(['pool', 'reconcile']);
    expect(filled.pools[0]?.applied.created).toHaveLength(2);
    expect(filled.pools[0]?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby', 'standby']);
    expect(runContainers(RUN)).toHaveLength(2);
    expect(await poolRow()).toMatchObject({ standby: 2, provisioning: 0, claimed: 0 });

    const grant = await json<{ outcome: string; warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'ticket-42', '--wait']);
    expect(grant).toMatchObject({ outcome: 'success', warm: true, box: { state: 'ready', warm: true, claimant: 'ticket-42' } });
    warm = grant.box;
    expect(warm.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', true],
    ]);
    const target = warm.sshTarget;
    if (!target || !warm.vmRef) throw new Error('the warm box has no SSH target');
    expect(target.hostKey).toBe(boxHostKey(warm.vmRef));
    const login = sshPinned(target, keyFile, 'id -un && sudo -n docker info --format {{.ServerVersion}}');
    expect(login.status, login.stderr).toBe(0);
    expect(login.stdout.split('\n')[0]).toBe('cac');
    const shown = await json<{ box: BoxDoc }>(['box', 'show', warm.id]);
    expect(shown.box).toMatchObject({ id: warm.id, state: 'ready' });
  });

  it('the pool refills, and box release removes the container', async () => {
    const refill = await json<{ pools: Array<{ plan: { creates: number } }> }>(['pool', 'reconcile']);
    expect(refill.pools[0]?.plan.creates).toBe(1);
    expect(await poolRow()).toMatchObject({ standby: 2, claimed: 1, warmClaims: 1, coldClaims: 0 });
    expect(runContainers(RUN)).toHaveLength(3);

    const released = await json<{ outcome: string; box: BoxDoc }>(['box', 'release', warm.id]);
    expect(released).toMatchObject({ outcome: 'success', box: { id: warm.id, state: 'destroyed' } });
    expect(runContainers(RUN).filter((c) => c.boxId === warm.id)).toEqual([]);
    expect((await json<{ box: BoxDoc }>(['box', 'release', warm.id])).box.state).toBe('destroyed');
    expect(await poolRow()).toMatchObject({ standby: 2, claimed: 0 });
  });

  it('a request for an unknown pool provisions cold: at once in the background, or waited for', async () => {
    const other = 'https://example.test/acme/unknown.git';
    const waited = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', other, '--branch', 'dev', '--wait', '--timeout', '2m']);
    expect(waited).toMatchObject({ warm: false, box: { state: 'ready', warm: false, poolKey: `${other}#dev` } });
    const target = waited.box.sshTarget;
    if (!target) throw new Error('the cold box has no SSH target');
    expect(sshPinned(target, keyFile, 'true').status).toBe(0);

    const quick = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', other, '--branch', 'dev']);
    expect(quick).toMatchObject({ warm: false, box: { state: 'requested' } });
    const ready = await json<{ box: BoxDoc }>(['box', 'show', quick.box.id, '--wait', '--timeout', '2m']);
    expect(ready.box).toMatchObject({ state: 'ready', claimant: expect.any(String) });
    const log = readFileSync(join(stateDir, 'logs', `box-${quick.box.id}.log`), 'utf8');
    expect(log).toContain(`${quick.box.id} ssh_ready`);

    const status = await json<{ pools: Array<Record<string, unknown>> }>(['pool', 'status']);
    expect(status.pools.find((p) => p.poolKey === `${other}#dev`)).toMatchObject({ configured: false, claimed: 2, coldClaims: 2 });
    for (const id of [waited.box.id, quick.box.id]) expect((await json<{ box: BoxDoc }>(['box', 'release', id])).box.state).toBe('destroyed');
  });

  it('pool status --prometheus prints the text format; box list shows the live boxes', async () => {
    const prom = await cac(['pool', 'status', '--prometheus']);
    expect(prom.exitCode).toBe(0);
    expect(prom.stdout).toContain(`cac_pool_boxes{pool="${REPO}#main",repo="${REPO}",base_branch="main",state="standby"} 2`);
    expect(prom.stdout).toContain(`cac_pool_claims_total{pool="${REPO}#main",repo="${REPO}",base_branch="main",kind="warm"} 1`);
    const list = await cac(['box', 'list']);
    expect(list.stdout.match(/standby/g)).toHaveLength(2);
  });

  it('bad input exits 2 naming the field', async () => {
    const repo = await json<{ code: string; message: string }>(['box', 'request', '--repo', 'ftp://example.test/x.git'], 2);
    expect(repo).toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringMatching(/^--repo: /) });
    const branch = await cac(['box', 'request', '--repo', REPO, '--branch', 'bad..name']);
    expect(branch.exitCode).toBe(2);
    expect(branch.stderr).toContain('error: --branch: "bad..name" contains ".."');
  });
});
