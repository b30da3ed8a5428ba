// Agent logins on boxes through bin/cac on the real dockerd with the real box image: a Claude OAuth login
// (a fake in the real file format: no account) injected into a cold box; the agent "refreshes" it inside
// the box's dev container; `box pull` brings it back to the host file (0600); both changed keeps the host
// file and warns; a second request for the same rotating login names the first box, and with
// on_fork = "refuse" its injection leaves claude out; `box release` brings a refresh back before the VM
// goes, and forgets the box. No token ever reaches cac's output.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newRunId, removeRun } from '../helpers/box-run.js';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { runBin, tempHome, type CliResult } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-logins');
const { home, env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN };
const stateDir = join(homeEnv.XDG_STATE_HOME, 'cac');
const configFile = join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml');
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-logins-repo-'));
const hostCredentials = join(home, '.claude/.credentials.json');
const token = (name: string) => JSON.stringify({ claudeAiOauth: { accessToken: `access-${name}`, refreshToken: `token-${name}`, expiresAt: 1 } });
const outputs: string[] = [];

interface BoxDoc {
  id: string;
  state: string;
  vmRef: string;
  workspace: { containerId: string } | null;
}
interface Fork {
  agent: string;
  file: string;
  places: Array<{ kind: string; id: string }>;
  onFork: string;
  action: string;
}

async function cac(args: string[]): Promise<CliResult> {
  const r = await runBin(args, { env, timeoutMs: 600_000 });
  outputs.push(r.stdout, r.stderr);
  return r;
}

async function json<T>(args: string[], exit = 0): Promise<T & { stderr: string }> {
  const r = await cac([...args, '--json']);
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return { ...(JSON.parse(r.stdout) as T), stderr: r.stderr };
}

const docker = (...args: string[]) => execFileSync('docker', args, { env: engineEnv(), encoding: 'utf8' }).trim();
/** A command in the box's dev container, as its user dev (through the box's own engine), outside cac. */
const inBox = (box: BoxDoc, script: string) => docker('exec', '-u', 'cac', box.vmRef, 'docker', 'exec', '-u', 'dev', box.workspace?.containerId ?? '', 'sh', '-c', script);
/** What the agent does when it refreshes its token: rewrite its credential file in the container. */
const refreshInBox = (box: BoxDoc, name: string) => inBox(box, `printf '%s' '${token(name)}' > ~/.claude/.credentials.json`);
const onHost = () => readFileSync(hostCredentials, 'utf8');
const setHost = (name: string) => writeFileSync(hostCredentials, token(name), { mode: 0o600 });

function writeConfig(onFork?: string): void {
  const claude = ['[agents.claude]', 'enabled = true', 'install = false', ...(onFork ? [`on_fork = "${onFork}"`] : [])];
  mkdirSync(join(configFile, '..'), { recursive: true });
  writeFileSync(configFile, ['[agents]', 'enabled = true', ...claude, '[boxes]', 'preload_images = ["cac-test/base:bookworm"]', ''].join('\n'));
}

describeWith(['docker'], 'agent logins on boxes: pull, release, token forks (bin/cac, real boxes)', () => {
  let first: BoxDoc;
  let second: BoxDoc;

  beforeAll(() => {
    makeBoxRepo(repo);
    mkdirSync(join(home, '.claude'), { recursive: true });
    setHost('host');
    writeConfig();
  });
  afterAll(() => {
    removeRun(RUN);
    rmSync(repo, { recursive: true, force: true });
  });

  it('a cold box gets the login; a refresh inside it comes back with box pull (0600); nothing to do the second time', async () => {
    const grant = await json<{ box: BoxDoc; forks: Fork[] }>(['box', 'request', '--repo', `file://${repo}`, '--wait', '--timeout', '8m']);
    expect(grant.box.state).toBe('ready');
    expect(grant.forks).toEqual([]);
    first = grant.box;
    expect(inBox(first, 'cat ~/.claude/.credentials.json')).toBe(token('host'));
    expect(statSync(join(stateDir, 'agents', 'boxes', `${first.id}.json`)).mode & 0o777).toBe(0o600);

    refreshInBox(first, 'refreshed-in-box');
    const pulled = await json<{ box: string; synced: string[]; warnings: string[] }>(['box', 'pull', first.id]);
    expect(pulled).toMatchObject({ outcome: 'success', box: first.id, synced: [hostCredentials], warnings: [] });
    expect(onHost()).toBe(token('refreshed-in-box'));
    expect(statSync(hostCredentials).mode & 0o777).toBe(0o600);
    expect((await json<{ synced: string[] }>(['box', 'pull', first.id])).synced).toEqual([]);
  });

  it('both changed: box pull keeps the host file and warns (exit 3)', async () => {
    setHost('host-side');
    refreshInBox(first, 'box-side');
    const pulled = await json<{ synced: string[]; warnings: string[] }>(['box', 'pull', first.id], 3);
    expect(pulled).toMatchObject({ outcome: 'warnings', synced: [], warnings: ['claude: ~/.claude/.credentials.json changed on the host and in the container; kept the host file'] });
    expect(pulled.stderr).toContain('warning: sync-back: claude: ~/.claude/.credentials.json changed on the host and in the container; kept the host file');
    expect(onHost()).toBe(token('host-side'));
  });

  it('a second box for the same rotating login names the first; on_fork = "refuse" leaves claude out of it', async () => {
    writeConfig('refuse');
    const grant = await json<{ box: BoxDoc; forks: Fork[] }>(['box', 'request', '--repo', `file://${repo}`, '--wait', '--timeout', '8m']);
    second = grant.box;
    expect(grant.box.state).toBe('ready');
    expect(grant.forks).toEqual([{ agent: 'claude', file: hostCredentials, places: [{ kind: 'box', id: first.id, workspace: expect.any(String) }], onFork: 'refuse', action: 'skip' }]);
    expect(grant.stderr).toContain(`warning: ${second.id}: claude: not injected (on_fork = "refuse"): its login in ~/.claude/.credentials.json (a rotating refresh token) is live in box ${first.id}`);
    // the worker applied it: no login in the second box, and nothing recorded for it
    expect(inBox(second, 'ls -A ~/.claude 2>/dev/null; true')).not.toContain('.credentials.json');
    expect(existsSync(join(stateDir, 'agents', 'boxes', `${second.id}.json`))).toBe(false);
  });

  it('box release brings a refresh back before the VM goes, then forgets the box', async () => {
    // the host back at what the box last gave it: only the box changes from here
    setHost('refreshed-in-box');
    refreshInBox(first, 'refreshed-before-release');
    const released = await json<{ box: BoxDoc; agents: { synced: string[]; warnings: string[] } }>(['box', 'release', first.id]);
    expect(released).toMatchObject({ box: { state: 'destroyed' }, agents: { synced: [hostCredentials], warnings: [] } });
    expect(onHost()).toBe(token('refreshed-before-release'));
    expect(statSync(hostCredentials).mode & 0o777).toBe(0o600);
    expect(existsSync(join(stateDir, 'agents', 'boxes', `${first.id}.json`))).toBe(false);
    expect((await json<{ agents: { synced: string[] } }>(['box', 'release', second.id])).agents.synced).toEqual([]);
  });

  it('no token in any output', () => {
    for (const out of outputs) expect(out).not.toMatch(/token-|access-/);
  });
});
