// Sync-back through bin/cac on the real engine: a credential an agent refreshed inside the container
// flows back to the host on `cac down` and on `cac stop`; `[agents] sync_back = false` keeps the host
// file as it is on both. One agent (claude, its CLI a stub the image's lifecycle puts in place).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin } from '../helpers/run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'cac-e2e-syncback-'));
const home = join(root, 'home');
const ws = join(root, 'ws');
const env = { ...engineEnv(), HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(root, 'state') };
const configFile = join(home, '.config/cac/config.toml');
const hostCredentials = join(home, '.claude/.credentials.json');
const token = (name: string) => JSON.stringify({ claudeAiOauth: { refreshToken: `token-${name}` } });

const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' }).trim();
const containerId = () => docker('ps', '-aq', '--filter', `label=devcontainer.local_folder=${ws}`);
/** What the agent does when it refreshes its token: rewrite its credential file in the container. */
const refreshInContainer = (name: string) => docker('exec', '-u', 'dev', containerId(), 'sh', '-c', `printf '%s' '${token(name)}' > ~/.claude/.credentials.json`);
const inContainer = () => docker('exec', '-u', 'dev', containerId(), 'cat', '/home/dev/.claude/.credentials.json');
const onHost = () => readFileSync(hostCredentials, 'utf8');

async function cac(...args: string[]): Promise<void> {
  const r = await runBin(args, { env, timeoutMs: 300_000 });
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stderr}`).toBe(0);
}

function writeConfig(syncBack?: boolean): void {
  const lines = ['[agents]', 'enabled = true', ...(syncBack === undefined ? [] : [`sync_back = ${syncBack}`]), '[agents.claude]', 'enabled = true', 'install = false'];
  mkdirSync(join(configFile, '..'), { recursive: true });
  writeFileSync(configFile, `${lines.join('\n')}\n`);
}

describeWith(['docker'], 'agents sync-back on stop and down (bin/cac, real dockerd)', () => {
  beforeAll(() => {
    const stub = "mkdir -p ~/.local/bin && printf '#!/bin/sh\\necho 2.0.0 (Claude Code stub)\\n' > ~/.local/bin/claude && chmod +x ~/.local/bin/claude";
    mkdirSync(join(ws, '.devcontainer'), { recursive: true });
    writeFileSync(join(ws, '.devcontainer/devcontainer.json'), JSON.stringify({ image: infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm', remoteUser: 'dev', postCreateCommand: stub }));
    execFileSync('chown', ['-R', '1000:1000', ws]);
    mkdirSync(join(home, '.claude'), { recursive: true });
    writeFileSync(hostCredentials, token('host'));
    chmodSync(hostCredentials, 0o600);
  });

  afterAll(() => {
    const ids = containerId().split('\n').filter(Boolean);
    if (ids.length) docker('rm', '-f', '-v', ...ids);
    rmSync(root, { recursive: true, force: true });
  });

  it('on by default: down copies the refreshed credential back (0600); so does stop', async () => {
    writeConfig();
    await cac('up', ws);
    expect(inContainer()).toBe(token('host'));
    refreshInContainer('refreshed-before-down');
    await cac('down', ws);
    expect(containerId()).toBe('');
    expect(onHost()).toBe(token('refreshed-before-down'));
    expect(statSync(hostCredentials).mode & 0o777).toBe(0o600);

    await cac('up', ws);
    expect(inContainer()).toBe(token('refreshed-before-down'));
    refreshInContainer('refreshed-before-stop');
    await cac('stop', ws);
    expect(onHost()).toBe(token('refreshed-before-stop'));
  });

  it('sync_back = false: neither down nor stop touches the host file', async () => {
    writeConfig(false);
    await cac('down', ws);
    const before = token('refreshed-before-stop');
    expect(onHost()).toBe(before);

    // fresh containers each time, so no re-injection meets a token refreshed in the container
    await cac('up', ws);
    expect(inContainer()).toBe(before);
    refreshInContainer('kept-in-container-on-down');
    await cac('down', ws);
    expect(containerId()).toBe('');
    expect(onHost()).toBe(before);

    await cac('up', ws);
    refreshInContainer('kept-in-container-on-stop');
    await cac('stop', ws);
    expect(onHost()).toBe(before);
    await cac('down', ws);
    expect(onHost()).toBe(before);
  });
});
