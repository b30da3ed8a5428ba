// The switch step through a real `sh` and real git, a LocalHost standing in for the box: one exec fetches
// (a bundle on its stdin, or from origin), compares the devcontainer config, checks out and reads what the
// config hash needs, and that hash is the one configHashAt reads in several; a failure names its git operation.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { LocalGitSource } from '../../../src/adapters/git/local-source.js';
import { newBoxRecord, type Box } from '../../../src/domain/box.js';
import type { ExecOptions, Host } from '../../../src/ports/host.js';
import { BoxConnections } from '../../../src/core/provision/connections.js';
import { configHashAt } from '../../../src/core/provision/config-hash.js';
import { checkout, fetchBranches } from '../../../src/core/provision/repo.js';
import { SWITCH } from '../../../src/core/provision/repo-scripts.js';
import { switchStep, type SwitchStepDeps } from '../../../src/core/provision/switch.js';
import { localBox } from '../../fakes/host.js';
import { commit, git } from '../../helpers/git-commit.js';

const signal = new AbortController().signal;
const HOSTILE = '$(touch${IFS}pwned)';

/** A repo whose main has `config` (and the files it names), `feature` a code change on it (a branch named as shell code), `new-config` a changed Dockerfile. */
function sourceRepo(config: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cac-src-'));
  git(dir, 'init', '-q', '-b', 'main');
  commit(dir, { ...config, README: 'main\n' }, 'main');
  git(dir, 'checkout', '-q', '-b', HOSTILE);
  commit(dir, { README: 'feature\n' }, 'feature');
  git(dir, 'checkout', '-q', '-b', 'new-config', 'main');
  commit(dir, { '.devcontainer/Dockerfile': 'FROM b\n' }, 'config');
  git(dir, 'checkout', '-q', 'main');
  return dir;
}

/** A host that counts its execs (each a round trip to a real box). */
function counting(host: Host): Host & { execs: string[] } {
  const execs: string[] = [];
  return { kind: 'ssh', execs, exec: (argv, o?: ExecOptions) => (execs.push(argv[2] === SWITCH ? 'switch' : (argv[2] ?? argv[0] ?? '')), host.exec(argv, o)), putFiles: host.putFiles };
}

/** A box provisioned on main (the repo step as it runs), claimed for `branch`. */
async function boxOn(src: string, delivery: 'push' | 'clone', branch: string) {
  const home = mkdtempSync(join(tmpdir(), 'cac-boxhome-'));
  // the box's own temp dir: what the script leaves there is seen (the shared one has other runs' files)
  mkdirSync(join(home, 'tmp'));
  const host = counting(localBox(home, { TMPDIR: join(home, 'tmp') }));
  const source = new LocalGitSource({ host: new LocalHost(), mirrorsDir: join(home, 'mirrors') });
  const record = newBoxRecord({ repoUrl: `file://${src}`, baseBranch: 'main', deadlineAt: 1, now: 0 }, 'box_000000000001', 'k');
  const folder = await fetchBranches({ source, delivery }, host, record, 'cac/b/app', ['main'], signal);
  await checkout(host, folder, 'main', signal);
  host.execs.length = 0;
  const workspace = { folder, branch: 'main', configFile: join(folder, '.devcontainer/devcontainer.json'), cli: 'cli', containerId: 'c1', remoteUser: 'dev', remoteWorkspaceFolder: '/w' };
  const box: Box = { ...record, branch, workspace, sshTarget: { host: 'h', port: 22, user: 'cac', hostKey: 'k' } };
  // a rebuild would need the engine: these branches keep the config
  const deps = { connections: new BoxConnections(async () => ({ ...host, close: async () => undefined })), source, delivery, now: () => 0 } as unknown as SwitchStepDeps;
  return { home, host, folder, box, source, run: () => switchStep(deps).run({ box, signal }) };
}

const NEAR = {
  '.devcontainer/devcontainer.json': '{ "build": { "dockerfile": "Dockerfile" }, "dockerComposeFile": ["../compose.yml", "missing.yml"] }\n',
  '.devcontainer/Dockerfile': 'FROM a\n',
  'compose.yml': 'services: {}\n',
};

describe.each(['push', 'clone'] as const)('the switch step by %s through a real sh and git', (delivery) => {
  it('one exec: the branch (named as shell code) checked out, its commit, and the config hash configHashAt reads; nothing it spells runs', async () => {
    const src = sourceRepo(NEAR);
    const b = await boxOn(src, delivery, HOSTILE);
    const patch = (await b.run()) as Box;
    expect(b.host.execs).toEqual(['switch']);
    expect(patch.commit).toBe(git(src, 'rev-parse', HOSTILE));
    expect(patch.workspace?.branch).toBe(HOSTILE);
    expect(git(b.folder, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(HOSTILE);
    expect(readFileSync(join(b.folder, 'README'), 'utf8')).toBe('feature\n');
    expect(patch.configHash).toBe(await configHashAt(b.host, b.folder, b.box.workspace!.configFile!, 'HEAD', signal));
    expect(existsSync(join(b.home, 'pwned')) || existsSync(join(b.folder, 'pwned'))).toBe(false);
    expect(readdirSync(join(b.home, 'tmp')), 'no bundle left on the box').toEqual([]);
  });

  it('a file the devcontainer.json names outside the folders read at once costs one more exec, and is in the hash', async () => {
    const src = sourceRepo({ ...NEAR, '.devcontainer/devcontainer.json': '{ "build": { "dockerfile": "../docker/Dockerfile" } }\n', 'docker/Dockerfile': 'FROM far\n' });
    const b = await boxOn(src, delivery, HOSTILE);
    const patch = (await b.run()) as Box;
    expect(b.host.execs).toEqual(['switch', expect.stringContaining('for p in "$@"')]);
    b.host.execs.length = 0;
    const hash = await configHashAt(b.host, b.folder, b.box.workspace!.configFile!, 'HEAD', signal);
    expect(patch.configHash).toBe(hash);
    commit(b.folder, { 'docker/Dockerfile': 'FROM changed\n' }, 'far change');
    expect(await configHashAt(b.host, b.folder, b.box.workspace!.configFile!, 'HEAD', signal)).not.toBe(hash);
  });

  it('the script tells a changed devcontainer config (a named Dockerfile) from the same one', async () => {
    const src = sourceRepo(NEAR);
    const b = await boxOn(src, delivery, 'new-config');
    const stdin = delivery === 'push' ? { stdin: execFileSync('git', ['-C', src, 'bundle', 'create', '-', 'refs/heads/new-config']) } : {};
    const r = await b.host.exec(['sh', '-c', SWITCH, 'sh', delivery, b.folder, 'new-config', '.devcontainer/devcontainer.json', '0'], { signal, ...stdin });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['fetched', 'changed', git(src, 'rev-parse', 'new-config')]);
  });

  it('a checkout git refuses (an untracked file the branch would overwrite) names the checkout', async () => {
    const src = sourceRepo(NEAR);
    git(src, 'checkout', '-q', HOSTILE);
    commit(src, { 'feature-only.txt': 'x\n' }, 'tracked on the branch');
    git(src, 'checkout', '-q', 'main');
    const b = await boxOn(src, delivery, HOSTILE);
    writeFileSync(join(b.folder, 'feature-only.txt'), 'untracked on the box\n');
    await expect(b.run()).rejects.toMatchObject({ code: 'ERR_REPO', message: expect.stringMatching(/^git checkout \$\(touch\$\{IFS\}pwned\) failed on the box \(exit 1\): /) });
  });
});

it('clone: a branch the remote does not have names the fetch', async () => {
  const src = sourceRepo(NEAR);
  const b = await boxOn(src, 'clone', 'nope');
  await expect(b.run()).rejects.toMatchObject({ code: 'ERR_REPO', message: expect.stringMatching(/^git fetch of file:\/\/\S+ failed on the box \(exit 128\): fatal: couldn't find remote ref/) });
});
