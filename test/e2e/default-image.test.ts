// A folder (and a repo) without a devcontainer configuration, through bin/cac on the real dockerd and
// devcontainer CLI: `cac up --image` brings it up from a config cac generates in its state dir, `exec`,
// `list`, `up` again and `down` find that container, and the folder is left as it was; a pool of a repo
// without devcontainer.json and `[boxes] default_image` gets a standby box whose `box exec` works.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';
import { containersOf } from './lifecycle-fixtures.js';

const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
const RUN = newRunId('e2e-defimage');
const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN };
const stateDir = join(homeEnv.XDG_STATE_HOME, 'cac');
const cac = (args: string[]) => runBin(args, { env });
const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' });

/** Every path under `dir` (files and folders), sorted: what "left untouched" compares. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

async function json<T>(args: string[]): Promise<T> {
  const r = await cac([...args, '--json']);
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

interface UpDoc {
  action: string;
  containerId: string;
  remoteWorkspaceFolder: string;
  configFile: string;
  generatedImage?: string;
}

describeWith(['docker'], 'a workspace without a devcontainer configuration runs in an image (bin/cac)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'cac-e2e-noconf-'));
  const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-noconf-repo-'));
  writeFileSync(join(folder, 'README.md'), 'no devcontainer here\n');
  mkdirSync(join(folder, 'src'));
  writeFileSync(join(folder, 'src/app.js'), 'console.log(1)\n');
  const before = tree(folder);

  afterAll(() => {
    const left = containersOf(folder);
    if (left.length) docker('rm', '-f', '-v', ...left);
    removeRun(RUN);
    rmSync(folder, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });

  it('cac up --image brings the folder up from a config generated in the state dir; exec runs in it with the folder mounted', async () => {
    const up = await json<UpDoc>(['up', folder, '--image', BASE]);
    expect(up).toMatchObject({ action: 'created', generatedImage: BASE, remoteWorkspaceFolder: `/workspaces/${basename(folder)}` });
    expect(up.configFile.startsWith(join(stateDir, 'workspaces'))).toBe(true);
    expect(containersOf(folder)).toEqual([up.containerId.slice(0, 12)]);
    expect(docker('inspect', '--format', '{{.Config.Image}}', up.containerId).trim()).toBe(BASE);

    const r = await cac(['exec', folder, '--', 'sh', '-c', 'pwd; cat README.md src/app.js; git --version >/dev/null && node --version >/dev/null && echo tools']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${up.remoteWorkspaceFolder}\nno devcontainer here\nconsole.log(1)\ntools\n`);

    const listed = await json<{ containers: Array<{ containerId: string; workspace: string; configFile: string; generatedConfig: boolean }> }>(['list']);
    expect(listed.containers.filter((c) => c.workspace === folder)).toEqual([expect.objectContaining({ containerId: up.containerId, configFile: up.configFile, generatedConfig: true })]);
  });

  it('up again without --image reuses the container (the generated config is the record); down removes it; the folder is as it was', async () => {
    const again = await json<UpDoc>(['up', folder]);
    expect(again).toMatchObject({ action: 'reused', generatedImage: BASE });
    const down = await json<{ action: string; generatedImage?: string }>(['down', folder]);
    expect(down).toMatchObject({ action: 'removed', generatedImage: BASE });
    expect(containersOf(folder)).toEqual([]);
    expect(tree(folder)).toEqual(before);
    const none = await json<{ action: string }>(['down', folder]);
    expect(none.action).toBe('none');
  });

  it('a pool of a repo without devcontainer.json and [boxes] default_image: the box reaches standby, box exec runs in the image, the checkout stays clean', async () => {
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=cac-test', '-c', 'user.email=test@example.invalid', ...args]);
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'README.md'), 'a repo without a devcontainer\n');
    git('add', '-A');
    git('commit', '-qm', 'main');
    mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
    writeFileSync(
      join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
      `[boxes]\npreload_images = ["${BASE}"]\ndefault_image = "${BASE}"\n\n[[pools]]\nrepo_url = "file://${repo}"\nbase_branch = "main"\nmin_standby = 1\nmax_instances = 1\n`,
    );
    const filled = await json<{ pools: Array<{ applied: { provisioned: Array<{ id: string; outcome: string; error?: string }> } }> }>(['pool', 'reconcile']);
    const provisioned = filled.pools[0]?.applied.provisioned ?? [];
    expect(
      provisioned.map((p) => p.outcome),
      JSON.stringify(provisioned),
    ).toEqual(['standby']);
    const id = provisioned[0]?.id ?? '';
    const { box } = await json<{ box: { vmRef: string; workspace: { folder: string; configFile: string; generatedImage?: string; remoteWorkspaceFolder: string } } }>(['box', 'show', id]);
    expect(box.workspace).toMatchObject({ configFile: `/home/cac/cac/${id}/.cac/devcontainer.json`, generatedImage: BASE });

    const inside = await cac(['box', 'exec', id, '--', 'sh', '-c', 'pwd; cat README.md; git --version >/dev/null && node --version >/dev/null && echo tools']);
    expect(inside.exitCode, inside.stderr).toBe(0);
    expect(inside.stdout).toBe(`${box.workspace.remoteWorkspaceFolder}\na repo without a devcontainer\ntools\n`);
    // the checkout on the box has nothing cac wrote
    expect(docker('exec', '-u', 'cac', box.vmRef, 'git', '-C', box.workspace.folder, 'status', '--porcelain', '--ignored').trim()).toBe('');

    expect((await json<{ box: { state: string } }>(['box', 'release', id])).box.state).toBe('destroyed');
    expect(runContainers(RUN)).toEqual([]);
  });
});
