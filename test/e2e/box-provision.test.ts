// Remote boxes ready to work, through bin/cac on the real dockerd with the real box image (inner Docker
// engine, sshd, the devcontainer CLI installed on the box with npm): a file:// repo with two branches and
// a .devcontainer on cac-test/base:bookworm (preloaded into the box's engine); reconcile fills a pool of
// 1; the standby box has the checkout and its devcontainer with codex's files inside; `box request
// --env-file` claims it warm (switched to another branch) and writes the .env; a cold request gets its
// .env from the detached worker; the canary is nowhere but in the box's .env; release removes it all.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { expectNoLeak } from '../helpers/leak-guard.js';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { runBin, tempHome, type CliResult } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-provision');
const CANARY = `canary-${randomBytes(12).toString('hex')}`;
const MASTER_KEY = randomBytes(32).toString('base64');
const PLAIN = `API_TOKEN=${CANARY}\nGREETING="hello box"\n`;
const { home, env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN, CAC_MASTER_KEY: MASTER_KEY };
const stateDir = join(homeEnv.XDG_STATE_HOME, 'cac');
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-repo-'));
const REPO = `file://${repo}`;
const envFile = join(home, 'app.env.cac');
const outputs: string[] = [];

interface BoxDoc {
  id: string;
  state: string;
  warm: boolean | null;
  vmRef: string;
  branch: string;
  steps: Array<{ name: string; ok: boolean; durationMs: number }>;
  workspace: { folder: string; branch: string; containerId: string; remoteUser: string; remoteWorkspaceFolder: string } | null;
}

/** Runs bin/cac; its output is scanned for the canary, except the stdout of a command that prints the .env on purpose. */
async function cac(args: string[], opts: { input?: string; showsEnv?: boolean } = {}): Promise<CliResult> {
  const r = await runBin(args, { env, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  outputs.push(...(opts.showsEnv ? [r.stderr] : [r.stdout, r.stderr]));
  return r;
}

async function json<T>(args: string[], exit = 0): Promise<T> {
  const r = await cac([...args, '--json']);
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return JSON.parse(r.stdout) as T;
}

const docker = (...args: string[]) => execFileSync('docker', args, { env: engineEnv(), encoding: 'utf8' });
/** A command on the box itself (as its user cac), outside cac. */
const onBox = (box: BoxDoc, script: string) => docker('exec', '-u', 'cac', box.vmRef, 'sh', '-c', script).trim();
/** `ps -eo args` on this machine and inside every box of the run, every 100 ms until stopped. */
function samplePs(): () => Promise<string[]> {
  const samples: string[] = [];
  const run = promisify(execFile);
  let on = true;
  const loop = (async () => {
    while (on) {
      const boxes = runContainers(RUN).map((c) => c.id);
      const all = await Promise.allSettled([run('ps', ['-eo', 'args']), ...boxes.map((id) => run('docker', ['exec', id, 'ps', '-eo', 'args'], { env: engineEnv() }))]);
      for (const r of all) if (r.status === 'fulfilled') samples.push(r.value.stdout);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    on = false;
    await loop;
    return samples;
  };
}

describeWith(['docker'], 'remote boxes ready to work: repo, devcontainer, agents and .env over SSH (bin/cac)', () => {
  const psSamples: string[] = [];
  const boxTraces: string[] = [];
  let warm: BoxDoc;
  let cold: BoxDoc;

  makeBoxRepo(repo);
  mkdirSync(join(home, '.codex'), { recursive: true });
  writeFileSync(join(home, '.codex/config.toml'), 'model = "o4-mini"\n');
  writeFileSync(join(home, '.codex/auth.json'), '{"OPENAI_API_KEY":"sk-test-not-a-secret"}\n', { mode: 0o600 });
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(
    join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    `[agents]\nenabled = true\n\n[agents.codex]\nenabled = true\ninstall = false\n\n[boxes]\npreload_images = ["cac-test/base:bookworm"]\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = 1\nmax_instances = 3\n`,
  );
  afterAll(() => {
    removeRun(RUN);
    rmSync(repo, { recursive: true, force: true });
  });

  it('cac env encrypt makes the payload; a hostile --branch is refused with exit 2 before anything is created', async () => {
    expect((await cac(['env', 'encrypt', '--out', envFile], { input: PLAIN })).exitCode).toBe(0);
    for (const branch of ['main; touch pwned', 'main\ntouch pwned']) {
      const r = await cac(['box', 'request', '--repo', REPO, '--branch', branch, '--env-file', envFile]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/^error: --branch: /);
    }
    expect(runContainers(RUN)).toEqual([]);
    expect(existsSync(join(stateDir, 'boxes.db'))).toBe(false);
  });

  it('pool reconcile fills the pool: the standby box has the repo at main, its devcontainer running, codex inside', async () => {
    const stop = samplePs();
    const filled = await json<{ pools: Array<{ applied: { provisioned: Array<{ id: string; outcome: string; error?: string }> } }> }>(['pool', 'reconcile']);
    psSamples.push(...(await stop()));
    const provisioned = filled.pools[0]?.applied.provisioned ?? [];
    expect(
      provisioned.map((p) => p.outcome),
      JSON.stringify(provisioned),
    ).toEqual(['standby']);
    const box = (await json<{ box: BoxDoc }>(['box', 'show', provisioned[0]?.id ?? ''])).box;
    expect(box.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', true],
      ['repo', true],
      ['devcontainer', true],
      ['agents', true],
    ]);
    const ws = box.workspace;
    expect(ws).toMatchObject({ folder: `/home/cac/cac/${box.id}/${repo.split('/').pop()}`, branch: 'main', remoteUser: 'dev' });
    if (!ws) throw new Error('no workspace');
    expect(onBox(box, `git -C ${ws.folder} rev-parse --abbrev-ref HEAD`)).toBe('main');
    // the box's own engine: the preloaded image and the running dev container, labelled with the box
    expect(onBox(box, 'docker image inspect --format {{.Id}} cac-test/base:bookworm')).toBe(docker('image', 'inspect', '--format', '{{.Id}}', 'cac-test/base:bookworm').trim());
    expect(onBox(box, `docker ps --no-trunc -q --filter label=cac.box=${box.id}`)).toBe(ws.containerId);
    const inside = await cac(['box', 'exec', box.id, '--', 'sh', '-c', 'pwd; id -un; ls ~/.codex; git rev-parse --abbrev-ref HEAD']);
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout.trim().split('\n')).toEqual([ws.remoteWorkspaceFolder, 'dev', 'auth.json', 'config.toml', 'main']);
    // the next round checks the standby box (pinned-key login, its dev container running) and keeps it
    const again = await json<{ pools: Array<{ plan: { creates: number }; applied: { unfit: unknown[] } }> }>(['pool', 'reconcile']);
    expect(again.pools[0]).toMatchObject({ plan: { creates: 0 }, applied: { unfit: [] } });
    expect((await json<{ box: BoxDoc }>(['box', 'show', box.id])).box.state).toBe('standby');
    warm = box;
  });

  it('box request --env-file claims the standby box warm, switched to feature; box exec shows the .env, 0600 on the box', async () => {
    const stop = samplePs();
    const grant = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--branch', 'feature', '--env-file', envFile, '--for', 'ticket-7']);
    psSamples.push(...(await stop()));
    expect(grant).toMatchObject({ warm: true, box: { id: warm.id, state: 'ready', branch: 'feature', workspace: { branch: 'feature', containerId: warm.workspace?.containerId } } });
    expect(grant.box.steps.slice(-2).map((s) => [s.name, s.ok])).toEqual([
      ['switch', true],
      ['env', true],
    ]);
    const shown = await cac(['box', 'exec', warm.id, '--', 'sh', '-c', 'cat .env; cat feature.txt'], { showsEnv: true });
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toBe(`${PLAIN}on feature\n`);
    expect(onBox(warm, `stat -c '%a %U' ${warm.workspace?.folder}/.env`)).toBe('600 cac');
    const failed = await cac(['box', 'exec', warm.id, '--', 'sh', '-c', 'exit 7']);
    expect(failed.exitCode).toBe(7);
    const ssh = await cac(['box', 'ssh', warm.id, '--', 'sh', '-c', 'id -un; git -C "$1" rev-parse --abbrev-ref HEAD', 'sh', warm.workspace?.folder ?? '']);
    expect([ssh.exitCode, ssh.stdout]).toEqual([0, 'cac\nfeature\n']);
  });

  it('with no warm box left, box request --env-file --wait provisions cold; the worker writes the .env as its last step', async () => {
    const stop = samplePs();
    const grant = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--env-file', envFile, '--wait', '--timeout', '5m']);
    psSamples.push(...(await stop()));
    expect(grant).toMatchObject({ warm: false, box: { state: 'ready', branch: 'main' } });
    expect(grant.box.steps.map((s) => s.name)).toEqual(['vm_create', 'ssh_ready', 'repo', 'devcontainer', 'agents', 'env']);
    cold = grant.box;
    const shown = await cac(['box', 'exec', cold.id, '--', 'cat', '.env'], { showsEnv: true });
    expect(shown.stdout).toBe(PLAIN);
  });

  it('the canary is nowhere but in the .env: not in any output, the state dir, process argv, the boxes or their shell history', async () => {
    for (const box of [warm, cold]) {
      // everything on the box but the .env itself (the checkout is also the dev container's workspace)
      boxTraces.push(
        docker('exec', box.vmRef, 'sh', '-c', `grep -rl --exclude=.env ${CANARY} /home /root /tmp /var/log 2>/dev/null; cat /home/cac/.bash_history /root/.bash_history 2>/dev/null; true`),
      );
      expect(onBox(box, `ls -a ${box.workspace?.folder} | grep '^.env'`)).toBe('.env');
    }
    expect(psSamples.length).toBeGreaterThan(10);
    expectNoLeak([CANARY, MASTER_KEY], { outputs: [...outputs, ...psSamples, ...boxTraces], dirs: [stateDir, join(home, '.codex')] });
  });

  it('box release removes the boxes: their containers, dev containers and engines', async () => {
    for (const box of [warm, cold]) expect((await json<{ box: BoxDoc }>(['box', 'release', box.id])).box.state).toBe('destroyed');
    expect(runContainers(RUN)).toEqual([]);
    expect((await cac(['box', 'exec', warm.id, '--', 'true'])).stderr).toContain(`error: box ${warm.id} is destroyed`);
  });
});
