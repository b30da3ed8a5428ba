// `cac up` of a running, unchanged container answers from its memo without running the devcontainer
// CLI (no new up log), and runs the CLI whenever running it could change something: a restart (its
// postStartCommand runs again), a config edit, or a config with a command run on every up.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';
import { cleanupRun, makeWorkspace } from './lifecycle-fixtures.js';

const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv };
const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
const logDir = join(homeEnv.XDG_STATE_HOME, 'cac/logs');
const upLogs = () => {
  try {
    return readdirSync(logDir).filter((f) => f.startsWith('up-')).length;
  } catch {
    return 0;
  }
};
const up = async (folder: string) => {
  const r = await runBin(['up', folder, '--json'], { env });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { action: string; containerId: string; remoteUser: string; remoteWorkspaceFolder: string };
};
const inContainer = (id: string, cmd: string) => execFileSync('docker', ['exec', id, 'sh', '-c', cmd], { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' });

describeWith(['docker'], 'cac up of a running container: the memo', () => {
  afterAll(cleanupRun);

  it('answers an unchanged running container without the CLI; a restart or a config edit runs it again', async () => {
    const folder = makeWorkspace('memo', {}, { image: BASE, remoteUser: 'root', postStartCommand: 'echo started >> /tmp/starts' });
    const first = await up(folder);
    expect(first.action).toBe('created');
    const logs = upLogs();
    expect(logs).toBeGreaterThan(0);

    const again = await up(folder);
    expect(again).toMatchObject({ action: 'reused', containerId: first.containerId, remoteUser: first.remoteUser, remoteWorkspaceFolder: first.remoteWorkspaceFolder });
    expect(upLogs()).toBe(logs);

    execFileSync('docker', ['restart', first.containerId], { env: { ...process.env, ...engineEnv() }, stdio: 'ignore' });
    const restarted = await up(folder);
    expect(restarted.containerId).toBe(first.containerId);
    expect(upLogs()).toBe(logs + 1);
    expect(inContainer(first.containerId, 'cat /tmp/starts').trim().split('\n')).toHaveLength(2);
    expect((await up(folder)).action).toBe('reused');
    expect(upLogs()).toBe(logs + 1);

    const file = join(folder, '.devcontainer/devcontainer.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"name": "memo"', '"name": "memo-edited"'));
    expect((await up(folder)).containerId).toBe(first.containerId);
    expect(upLogs()).toBe(logs + 2);

    // stopped: the CLI starts it
    expect((await runBin(['stop', folder, '--json'], { env })).exitCode).toBe(0);
    expect((await up(folder)).action).toBe('started');
    expect(upLogs()).toBe(logs + 3);
  });

  it('a config with a postAttachCommand runs the CLI (and the command) on every up', async () => {
    const folder = makeWorkspace('memo-attach', {}, { image: BASE, postAttachCommand: 'echo attached >> /tmp/attached' });
    const first = await up(folder);
    const logs = upLogs();
    await up(folder);
    await up(folder);
    expect(upLogs()).toBe(logs + 2);
    expect(inContainer(first.containerId, 'cat /tmp/attached').trim().split('\n')).toHaveLength(3);
  });
});
