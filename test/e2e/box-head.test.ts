// Boxes at branch head, through bin/cac on the real dockerd with the real box image: the pool's repository
// is a local bare git repo (the "remote"), pushed to from a working clone. Reconcile fills a pool of 2; a
// push of code only, then one reconcile: both standby boxes at the new head in place (same VM, same dev
// container) and their updateContentCommand ran (its marker holds the new README); a claim after another
// push (max_staleness passed) fast-forwards as an after-claim step; a push that changes devcontainer.json,
// then one reconcile: the standby box is replaced, its replacement made at the new head.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, expect, it } from 'vitest';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-head');
const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN };
const root = mkdtempSync(join(tmpdir(), 'cac-e2e-head-'));
const work = join(root, 'work');
const bare = join(root, 'app.git');
const REPO = `file://${bare}`;

interface BoxDoc {
  id: string;
  state: string;
  vmRef: string;
  commit: string | null;
  configHash: string | null;
  releaseReason: string | null;
  steps: Array<{ name: string; ok: boolean }>;
  workspace: { folder: string; containerId: string; remoteWorkspaceFolder: string } | null;
  freshness: { commit: string | null; behind: number | null; text: string };
}
interface Freshness {
  head: string | null;
  atHead: string[];
  updated: string[];
  replaced: string[];
  failed: Array<{ id: string; reason: string }>;
}
interface Reconciled {
  durationMs: number;
  pools: Array<{ plan: { creates: number }; applied: { freshness?: Freshness; provisioned: Array<{ id: string; outcome: string; error?: string }> } }>;
}

const git = (...args: string[]) => execFileSync('git', ['-C', work, '-c', 'user.name=cac-test', '-c', 'user.email=test@example.invalid', ...args], { encoding: 'utf8' }).trim();
const docker = (...args: string[]) => execFileSync('docker', args, { env: engineEnv(), encoding: 'utf8' }).trim();
/** A command in the box's dev container, run through the box's own engine (outside cac). */
const inContainer = (box: BoxDoc, script: string) =>
  docker('exec', '-u', 'cac', box.vmRef, 'docker', 'exec', '-w', box.workspace?.remoteWorkspaceFolder ?? '/', box.workspace?.containerId ?? '', 'sh', '-c', script);

/** devcontainer.json on the preloaded base image; updateContentCommand copies the README it finds into a marker. */
const devcontainer = (extra = '') => `{\n  "image": "cac-test/base:bookworm",\n  "remoteUser": "dev",\n  "updateContentCommand": "cat README.md > /tmp/cac-update-marker"${extra}\n}\n`;

function push(files: Record<string, string>, message: string): string {
  for (const [path, text] of Object.entries(files)) writeFileSync(join(work, path), text);
  git('add', '-A');
  git('commit', '-qm', message);
  git('push', '-q', 'origin', 'main');
  return git('rev-parse', 'HEAD');
}

async function json<T>(args: string[], exit = 0): Promise<T> {
  const r = await runBin([...args, '--json'], { env });
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return JSON.parse(r.stdout) as T;
}

const show = async (id: string) => (await json<{ box: BoxDoc }>(['box', 'show', id])).box;

describeWith(['docker'], 'boxes at branch head: a push, then one reconcile (bin/cac, a bare repo as the remote)', () => {
  let made: BoxDoc[] = [];

  mkdirSync(join(work, '.devcontainer'), { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare]);
  git('init', '-q', '-b', 'main');
  git('remote', 'add', 'origin', bare);
  writeFileSync(join(work, '.devcontainer/devcontainer.json'), devcontainer());
  const first = push({ 'README.md': 'v1\n' }, 'v1');
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(
    join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    `[boxes]\npreload_images = ["cac-test/base:bookworm"]\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = 2\nmax_instances = 4\nmax_staleness = "1s"\n`,
  );
  afterAll(() => {
    removeRun(RUN);
    rmSync(root, { recursive: true, force: true });
  });

  it('reconcile fills the pool at the head: each box records its commit and config hash; updateContentCommand ran at creation', async () => {
    const r = await json<Reconciled>(['pool', 'reconcile']);
    const provisioned = r.pools[0]?.applied.provisioned ?? [];
    expect(
      provisioned.map((p) => p.outcome),
      JSON.stringify(provisioned),
    ).toEqual(['standby', 'standby']);
    made = await Promise.all(provisioned.map((p) => show(p.id)));
    for (const box of made) {
      expect(box).toMatchObject({ state: 'standby', commit: first, freshness: { commit: first.slice(0, 7), behind: 0, text: 'at head' } });
      expect(box.configHash).toMatch(/^[0-9a-f]{16}$/);
      expect(inContainer(box, 'cat /tmp/cac-update-marker')).toBe('v1');
    }
  });

  it('a push of code only: one reconcile brings every standby box to the new head in place, updateContentCommand ran again', async () => {
    const second = push({ 'README.md': 'v2\n', 'app.js': 'console.log(2)\n' }, 'v2');
    const r = await json<Reconciled>(['pool', 'reconcile']);
    // a number for the report, not an assertion: a round that updates the pool's two boxes in place
    console.info(`reconcile updating 2 boxes in place: ${r.durationMs} ms`);
    const pool = r.pools[0];
    expect(pool?.applied.freshness).toMatchObject({ head: second, replaced: [], failed: [] });
    expect([...(pool?.applied.freshness?.updated ?? [])].sort()).toEqual(made.map((b) => b.id).sort());
    expect(pool?.plan.creates).toBe(0);
    expect(pool?.applied.provisioned).toEqual([]);
    for (const before of made) {
      const box = await show(before.id);
      // the same VM and dev container: updated, not recreated
      expect(box).toMatchObject({ state: 'standby', vmRef: before.vmRef, commit: second, configHash: before.configHash, workspace: { containerId: before.workspace?.containerId } });
      expect(inContainer(box, 'cat /tmp/cac-update-marker; cat app.js')).toBe('v2\nconsole.log(2)');
    }
    const status = await json<{ pools: Array<{ head: string; boxes: Array<{ id: string; commit: string; text: string }> }> }>(['pool', 'status']);
    expect(status.pools[0]?.head).toBe(second);
    expect(status.pools[0]?.boxes.map((b) => [b.commit, b.text])).toEqual([
      [second.slice(0, 7), 'at head'],
      [second.slice(0, 7), 'at head'],
    ]);
  });

  it('a claim of a box past max_staleness after another push fast-forwards it as an after-claim step', async () => {
    const third = push({ 'README.md': 'v3\n' }, 'v3');
    // max_staleness is 1s: the boxes' last check is older than that by now
    await sleep(1_100);
    const grant = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'ticket-9']);
    expect(grant).toMatchObject({ warm: true, box: { state: 'ready', commit: third } });
    expect(grant.box.steps.at(-1)).toMatchObject({ name: 'freshen', ok: true });
    expect(inContainer(grant.box, 'cat README.md /tmp/cac-update-marker')).toBe('v3\nv3');
    made = made.filter((b) => b.id !== grant.box.id);
  });

  it('a push that changes devcontainer.json: one reconcile replaces the standby box, its replacement made at the new head', async () => {
    const [old] = made;
    if (!old) throw new Error('no standby box left');
    const fourth = push({ '.devcontainer/devcontainer.json': devcontainer(',\n  "containerEnv": { "CAC_HEAD_TEST": "4" }') }, 'v4: container env');
    const r = await json<Reconciled>(['pool', 'reconcile']);
    const pool = r.pools[0];
    expect(pool?.applied.freshness).toMatchObject({ head: fourth, updated: [], replaced: [old.id], failed: [] });
    // the replacement, and the place the claim freed
    expect(pool?.plan.creates).toBe(2);
    const provisioned = pool?.applied.provisioned ?? [];
    expect(
      provisioned.map((p) => p.outcome),
      JSON.stringify(provisioned),
    ).toEqual(['standby', 'standby']);
    expect(await show(old.id)).toMatchObject({ state: 'destroyed', releaseReason: expect.stringContaining('devcontainer definition changed') });
    expect(runContainers(RUN).map((c) => c.boxId)).not.toContain(old.id);
    for (const p of provisioned) {
      const fresh = await show(p.id);
      expect(fresh).toMatchObject({ state: 'standby', commit: fourth });
      expect(fresh.configHash).not.toBe(old.configHash);
      expect(inContainer(fresh, 'echo "$CAC_HEAD_TEST"')).toBe('4');
    }
  });
});
