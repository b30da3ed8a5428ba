// The agent CLI cache through the built bin/cac on the real dockerd: `agents cache warm` installs the
// pinned @openai/codex from the npm registry once (a throwaway container); a dev container made without
// the agent volume (`up --no-agents`, then `up`) whose npm points at a dead registry then gets codex
// restored from the tar cache (no npm install could have succeeded) and its --version works; a corrupted
// entry is never used silently; list, doctor and prune show the cache. test/e2e/agent-volume.test.ts
// covers the volume a new container mounts.
import { chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin } from '../helpers/run-cli.js';

const PINNED = '0.171.0';
const root = mkdtempSync(join(tmpdir(), 'cac-e2e-agent-cache-'));
const home = join(root, 'home');
const ws = join(root, 'ws');
const cacheDir = join(root, 'cache');
const env = { ...engineEnv(), HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(root, 'state'), XDG_CACHE_HOME: cacheDir };
const image = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';

const cac = (...args: string[]) => runBin(args, { env, timeoutMs: 400_000 });
const docker = (...args: string[]) => execFileSync('docker', args, { env: engineEnv(), encoding: 'utf8' }).trim();
const containerId = () => docker('ps', '-q', '--filter', `label=devcontainer.local_folder=${ws}`);
// warm fills the version's agent volume on the engine: it is the engine's, so removed before and after
const removeVolume = () => spawnSync('docker', ['volume', 'rm', `cac-agent-codex-${PINNED}-x86_64-gnu`, `cac-agent-codex-${PINNED}-x86_64-gnu-data`], { env: engineEnv() });
/** A container of the workspace made without the agent volume, then injected: the tar cache path. */
const upWithoutVolume = async () => {
  const bare = await cac('up', ws, '--no-agents');
  expect(bare.exitCode, bare.stderr).toBe(0);
  return cac('up', ws, '--json');
};
const entryFile = () => join(cacheDir, 'cac/agents/codex', PINNED, readdirSync(join(cacheDir, 'cac/agents/codex', PINNED)).find((f) => f.endsWith('.tar')) ?? 'none');

describeWith(['docker'], 'agent CLI cache: warm once from the registry, then containers get it with no registry (bin/cac, real dockerd)', () => {
  beforeAll(() => {
    removeVolume();
    mkdirSync(join(home, '.codex'), { recursive: true });
    writeFileSync(join(home, '.codex/auth.json'), '{"tokens":{}}');
    mkdirSync(join(home, '.config/cac'), { recursive: true });
    writeFileSync(join(home, '.config/cac/config.toml'), '[agents]\nenabled = true\n[agents.codex]\nenabled = true\n');
    mkdirSync(join(ws, '.devcontainer'), { recursive: true });
    // the container's npm reaches no registry
    writeFileSync(
      join(ws, '.devcontainer/devcontainer.json'),
      JSON.stringify({ image, remoteUser: 'dev', containerEnv: { npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' } }),
    );
    chownSync(ws, 1000, 1000);
  });

  afterAll(() => {
    const ids = docker('ps', '-aq', '--filter', `label=devcontainer.local_folder=${ws}`).split('\n').filter(Boolean);
    if (ids.length) docker('rm', '-f', '-v', ...ids);
    removeVolume();
    rmSync(root, { recursive: true, force: true });
  });

  it('warm installs the pinned codex from the registry once; list shows it pinned', async () => {
    const warm = await cac('agents', 'cache', 'warm', '--image', image, '--json');
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(JSON.parse(warm.stdout)).toMatchObject({ outcome: 'success', agents: [{ agent: 'codex', version: PINNED, platform: 'x86_64-gnu', from: 'registry', status: 'ok' }] });
    const list = await cac('agents', 'cache', 'list', '--json');
    expect(JSON.parse(list.stdout).entries).toMatchObject([{ agent: 'codex', version: PINNED, platform: 'x86_64-gnu', pinned: true }]);
    expect(list.stderr).toContain(`codex ${PINNED} x86_64-gnu`);
  });

  it('up: codex comes from the cache (the registry is unreachable in the container) and runs', async () => {
    const up = await upWithoutVolume();
    expect(up.exitCode, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).agents).toMatchObject([{ agent: 'codex', status: 'ok', installed: true, installedFrom: 'cache', warnings: [] }]);
    expect(docker('exec', '-u', 'dev', containerId(), 'bash', '-lc', 'command -v codex; codex --version')).toMatch(
      new RegExp(`^/home/dev/.local/bin/codex\\ncodex-cli ${PINNED.replaceAll('.', '\\.')}$`),
    );
    const doctor = JSON.parse((await cac('agents', 'doctor', ws, '--json')).stdout);
    expect(doctor.agents[0].cache).toEqual({ package: '@openai/codex', version: PINNED, platforms: ['x86_64-gnu'] });
  });

  it('a corrupted entry is not used silently: a warning, the registry is tried, the entry dropped', async () => {
    writeFileSync(entryFile(), 'not a tar');
    expect((await cac('down', ws)).exitCode).toBe(0);
    const r = await upWithoutVolume();
    expect(r.exitCode, r.stderr).toBe(0);
    const [codex] = JSON.parse(r.stdout).agents;
    expect(codex).toMatchObject({ agent: 'codex', status: 'warning', installed: false });
    expect(codex.warnings[0]).toMatch(new RegExp(`^the cached codex ${PINNED.replaceAll('.', '\\.')} \\(x86_64-gnu\\) failed its check .*; install failed`, 's'));
    expect(JSON.parse((await cac('agents', 'cache', 'list', '--json')).stdout).entries).toEqual([]);
  });

  it('prune keeps pinned versions; --all removes everything', async () => {
    for (const version of [PINNED, '0.1.0']) {
      mkdirSync(join(cacheDir, 'cac/agents/codex', version), { recursive: true });
      writeFileSync(join(cacheDir, 'cac/agents/codex', version, 'x86_64-gnu.tar'), 'an entry');
    }
    const pruned = JSON.parse((await cac('agents', 'cache', 'prune', '--json')).stdout);
    expect(pruned).toMatchObject({ outcome: 'success', removed: [{ agent: 'codex', version: '0.1.0' }], kept: 1 });
    const all = JSON.parse((await cac('agents', 'cache', 'prune', '--all', '--json')).stdout);
    expect(all).toMatchObject({ removed: [{ agent: 'codex', version: PINNED }], kept: 0 });
  });
});
