import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { LocalGitSource } from '../../../src/adapters/git/local-source.js';
import { newBoxRecord } from '../../../src/domain/box.js';
import { checkout, fetchBranches, runGit } from '../../../src/core/provision/repo.js';
import { FAST_FORWARD, HEAD_READ } from '../../../src/core/provision/repo-scripts.js';
import { configHashAt, configHashOfRead, namedConfigFiles } from '../../../src/core/provision/config-hash.js';
import { configReadAt, fetchRead } from '../../../src/core/provision/fetch-read.js';
import { BoxConnections } from '../../../src/core/provision/connections.js';
import type { Host } from '../../../src/ports/host.js';
import { bringToHead, updateContentCommands, type BoxUpdateDeps } from '../../../src/core/provision/update.js';
import { isCacError } from '../../../src/errors.js';
import { localBox } from '../../fakes/host.js';
import { commit, git } from '../../helpers/git-commit.js';

const signal = new AbortController().signal;

describe('a checkout brought to its branch head', () => {
  it('reads the head here, fast-forwards the box, and hashes the definition: code changes keep it, a named Dockerfile change does not', async () => {
    const src = mkdtempSync(join(tmpdir(), 'cac-src-'));
    git(src, 'init', '-q', '-b', 'main');
    const first = commit(src, { '.devcontainer/devcontainer.json': '{ "build": { "dockerfile": "../docker/Dockerfile" } }\n', 'docker/Dockerfile': 'FROM a\n', 'app.js': '1\n' }, 'first');
    const home = mkdtempSync(join(tmpdir(), 'cac-boxhome-'));
    const host = localBox(home);
    const source = new LocalGitSource({ host: new LocalHost(), mirrorsDir: join(home, 'mirrors') });
    const deps = { source, delivery: 'push' as const };
    const box = newBoxRecord({ repoUrl: src, baseBranch: 'main', deadlineAt: 1, now: 0 }, 'box_000000000001', 'k');
    const folder = await fetchBranches(deps, host, box, 'cac/b/app', ['main'], signal);
    expect(await checkout(host, folder, 'main', signal)).toBe(first);
    const config = join(folder, '.devcontainer/devcontainer.json');
    const hashFirst = await configHashAt(host, folder, config, 'HEAD', signal);

    const code = commit(src, { 'app.js': '2\n' }, 'code');
    expect(await source.head(src, 'main', { signal })).toBe(code);
    expect(await source.behind(src, first, code, { signal })).toBe(1);
    // the fetch, both heads and the config reads at the fetched head: one exec
    const ws = { folder, branch: 'main', configFile: config, cli: 'cli', containerId: 'c1', remoteUser: 'dev', remoteWorkspaceFolder: '/w' };
    const read = await fetchRead(deps, host, box, ws, HEAD_READ, 'main', 'reading the checkout head', signal);
    expect(read.lines.slice(0, 3)).toEqual(['fetched', first, code]);
    expect(await configHashOfRead(host, folder, read.reads, configReadAt(read.lines, 3, read.reads), 'refs/remotes/origin/main', signal)).toBe(hashFirst);
    expect(await configHashAt(host, folder, config, 'refs/remotes/origin/main', signal)).toBe(hashFirst);
    expect((await runGit(host, 'ff', ['sh', '-c', FAST_FORWARD, 'sh', folder, 'main'], { signal })).trim()).toBe(code);
    expect(readFileSync(join(folder, 'app.js'), 'utf8')).toBe('2\n');

    // through bringToHead, counting execs: at head, one; a changed named Dockerfile (outside the folders
    // read at once) one more, reported and not applied
    const docker = commit(src, { 'docker/Dockerfile': 'FROM b\n' }, 'dockerfile');
    const execs: string[] = [];
    const counted: Host = { kind: 'ssh', exec: (argv, o) => (execs.push(argv[2] === HEAD_READ ? 'head-read' : 'other'), host.exec(argv, o)), putFiles: host.putFiles };
    const held = { ...box, workspace: { ...ws, branch: 'main' }, configHash: hashFirst, sshTarget: { host: 'h', port: 22, user: 'cac', hostKey: 'k' } };
    const updateDeps = { ...deps, connections: new BoxConnections(async () => ({ ...counted, close: async () => undefined })), now: () => 0 } as unknown as BoxUpdateDeps;
    const r = await bringToHead(updateDeps, held, { rebuild: false, signal });
    expect(r).toMatchObject({ kind: 'config-changed', commit: docker, reason: expect.stringContaining(`(${hashFirst} → `) });
    expect(execs).toEqual(['head-read', 'other']);
    expect(git(folder, 'rev-parse', 'HEAD'), 'the checkout is left as it was').toBe(code);
    execs.length = 0;
    git(folder, 'merge', '-q', '--ff-only', 'refs/remotes/origin/main');
    expect(await bringToHead(updateDeps, held, { rebuild: false, signal })).toEqual({ kind: 'current', commit: docker, configHash: hashFirst });
    expect(execs).toEqual(['head-read']);
    expect(await source.behind(src, first, docker, { signal })).toBe(2);
    expect(await source.behind(src, first, 'f'.repeat(40), { signal })).toBeNull();
  });

  it('a rewritten history is never merged: the fast-forward fails and says so', async () => {
    const src = mkdtempSync(join(tmpdir(), 'cac-src-'));
    git(src, 'init', '-q', '-b', 'main');
    commit(src, { 'a.txt': '1\n' }, 'one');
    const home = mkdtempSync(join(tmpdir(), 'cac-boxhome-'));
    const host = localBox(home);
    const deps = { source: new LocalGitSource({ host: new LocalHost(), mirrorsDir: join(home, 'm') }), delivery: 'push' as const };
    const box = newBoxRecord({ repoUrl: src, baseBranch: 'main', deadlineAt: 1, now: 0 }, 'box_000000000001', 'k');
    const folder = await fetchBranches(deps, host, box, 'cac/b/app', ['main'], signal);
    await checkout(host, folder, 'main', signal);
    git(src, 'commit', '-q', '--amend', '-m', 'rewritten');
    await fetchBranches(deps, host, box, folder, ['main'], signal);
    const e = await runGit(host, 'fast-forwarding main', ['sh', '-c', FAST_FORWARD, 'sh', folder, 'main'], { signal }).catch((x: unknown) => x);
    expect(isCacError(e) && e.code).toBe('ERR_REPO');
  });

  it('a missing branch is ERR_REPO_BRANCH when its head is read', async () => {
    const src = mkdtempSync(join(tmpdir(), 'cac-src-'));
    git(src, 'init', '-q', '-b', 'main');
    commit(src, { 'a.txt': '1\n' }, 'one');
    const e = await new LocalGitSource({ host: new LocalHost(), mirrorsDir: '/nonexistent' }).head(src, 'nope', { signal }).catch((x: unknown) => x);
    expect(isCacError(e) && e.code).toBe('ERR_REPO_BRANCH');
  });
});

describe('what defines a dev container, and its updateContentCommand', () => {
  it('names the Dockerfile and compose files relative to the devcontainer.json, never a path out of the repository', () => {
    expect(namedConfigFiles('.devcontainer/devcontainer.json', '{ "build": { "dockerfile": "../Dockerfile" } }')).toEqual(['Dockerfile']);
    expect(namedConfigFiles('.devcontainer/devcontainer.json', '{ // c\n "dockerComposeFile": ["../compose.yml", "extra.yml"], }')).toEqual(['compose.yml', '.devcontainer/extra.yml']);
    expect(namedConfigFiles('.devcontainer.json', '{ "dockerFile": "Dockerfile", "build": { "dockerfile": "../../etc/x" } }')).toEqual(['Dockerfile']);
    expect(namedConfigFiles('.devcontainer.json', 'not json')).toEqual([]);
  });

  it("reads each entry's updateContentCommand from the container's metadata label: string, argv, named commands", () => {
    const label = JSON.stringify([{ id: 'feature' }, { updateContentCommand: 'npm ci' }, { updateContentCommand: ['make', 'deps'] }, { updateContentCommand: { a: 'echo a', b: ['echo', 'b'] } }]);
    expect(updateContentCommands(label)).toEqual([
      ['/bin/sh', '-c', 'npm ci'],
      ['make', 'deps'],
      ['/bin/sh', '-c', 'echo a'],
      ['echo', 'b'],
    ]);
    expect(updateContentCommands('')).toEqual([]);
    expect(updateContentCommands('{"updateContentCommand":"x"}')).toEqual([['/bin/sh', '-c', 'x']]);
  });
});
