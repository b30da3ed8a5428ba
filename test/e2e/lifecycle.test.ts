// cac up | exec | stop | start | rebuild | down | list through bin/cac on the real engine and the real
// devcontainer CLI, one fixture per devcontainer.json kind.
import { afterAll, expect, it } from 'vitest';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';
import { cleanupRun, containersOf, fixture, type FixtureName } from './lifecycle-fixtures.js';

const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv };
const cac = (args: string[], input?: string) => runBin(args, { env, ...(input !== undefined ? { input } : {}) });
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describeWith(['docker'], 'local devcontainer lifecycle', () => {
  afterAll(cleanupRun);

  it.each(['image', 'dockerfile', 'feature', 'postcreate'] as FixtureName[])('%s: up → exec → stop → start → rebuild → down → list', async (name) => {
    const { folder, user, check } = fixture(name);

    const up = await cac(['up', folder, '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const created = json(up.stdout);
    expect(created).toMatchObject({ outcome: 'success', action: 'created', remoteUser: user, workspace: folder, agents: [] });
    expect(created.remoteWorkspaceFolder).toMatch(/^\/workspaces\//);
    expect(typeof created.durationMs).toBe('number');
    const id = String(created.containerId);

    const who = await cac(['exec', folder, '--', 'id', '-un']);
    expect(who.stdout.trim()).toBe(user);
    expect((await cac(['exec', folder, '--', 'sh', '-c', check])).exitCode).toBe(0);
    expect((await cac(['exec', folder, '--', 'touch', '/tmp/old-container-marker'])).exitCode).toBe(0);

    expect(json((await cac(['up', folder, '--json'])).stdout)).toMatchObject({ action: 'reused', containerId: id });
    expect(json((await cac(['stop', folder, '--json'])).stdout)).toMatchObject({ action: 'stopped', containerId: id });
    expect(json((await cac(['stop', folder, '--json'])).stdout)).toMatchObject({ action: 'none', message: 'nothing to stop: the container is not running' });
    const stopped = json((await cac(['list', '--all', '--json'])).stdout).containers as Array<Record<string, unknown>>;
    expect(stopped.find((c) => c.containerId === id)).toMatchObject({ state: 'exited', workspace: folder });

    expect(json((await cac(['start', folder, '--json'])).stdout)).toMatchObject({ action: 'started', containerId: id, remoteUser: user });
    expect((await cac(['exec', folder, '--', 'test', '-e', '/tmp/old-container-marker'])).exitCode).toBe(0);

    const rebuilt = await cac(['rebuild', folder, '--json']);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    const fresh = json(rebuilt.stdout);
    expect(fresh).toMatchObject({ action: 'rebuilt', remoteUser: user });
    expect(fresh.containerId).not.toBe(id);
    expect((await cac(['exec', folder, '--', 'test', '-e', '/tmp/old-container-marker'])).exitCode).toBe(1);
    expect((await cac(['exec', folder, '--', 'sh', '-c', check])).exitCode).toBe(0);
    expect(containersOf(folder)).toHaveLength(1);

    const down = json((await cac(['down', folder, '--volumes', '--json'])).stdout);
    expect(down).toMatchObject({ action: 'removed', containerId: fresh.containerId });
    expect(containersOf(folder)).toEqual([]);
    expect(json((await cac(['down', folder, '--json'])).stdout)).toMatchObject({ action: 'none', message: 'nothing to remove: no container' });
    const listed = json((await cac(['list', '--all', '--json'])).stdout).containers as Array<Record<string, unknown>>;
    expect(listed.filter((c) => c.workspace === folder)).toEqual([]);
  });

  it('exec passes stdin through, propagates the exit code, and runs in the workspace folder', async () => {
    const { folder } = fixture('postcreate');
    expect((await cac(['up', folder])).exitCode).toBe(0);
    const cat = await cac(['exec', folder, '--', 'cat'], 'hi from stdin\n');
    expect(cat.stdout).toBe('hi from stdin\n');
    expect((await cac(['exec', folder, '--', 'sh', '-c', 'exit 42'])).exitCode).toBe(42);
    expect((await cac(['exec', folder, '--', 'cat', 'README.md'])).stdout).toBe('fixture postcreate\n');
    const human = await cac(['up', folder]);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/reused container [0-9a-f]{12} · user dev · \/workspaces\/\S+ \(\d+\.\ds\)/);
    expect((await cac(['down', folder])).exitCode).toBe(0);
    const none = await cac(['exec', folder, '--', 'true', '--json']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain("hint: create it with 'cac up");
  });
});
