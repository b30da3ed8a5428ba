// Agent volumes through the built bin/cac on the real dockerd: `agents cache warm` installs the pinned
// @openai/codex from the npm registry once and fills its read-only volume; a new dev container (its npm
// pointed at a dead registry) mounts that volume and gets codex by a link, never a tar stream; nothing
// in the container, root included, can write into the volume; a container made without the mount falls
// back to the tar cache; a missing volume is filled again from the tar cache; prune keeps a volume a container mounts and removes it once none does.
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin } from '../helpers/run-cli.js';

const PINNED = '0.171.0';
const VOLUME = `cac-agent-codex-${PINNED}-x86_64-gnu`;
const TARGET = `/opt/cac-agents/codex-${PINNED}-x86_64-gnu`;
const root = mkdtempSync(join(tmpdir(), 'cac-e2e-agent-volume-'));
const home = join(root, 'home');
const ws = join(root, 'ws');
const env = { ...engineEnv(), HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(root, 'state'), XDG_CACHE_HOME: join(root, 'cache') };
const image = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';

const cac = (...args: string[]) => runBin(args, { env, timeoutMs: 400_000 });
const docker = (...args: string[]) => execFileSync('docker', args, { env: engineEnv(), encoding: 'utf8' }).trim();
const tryDocker = (...args: string[]) => spawnSync('docker', args, { env: engineEnv(), encoding: 'utf8' });
const containerId = () => docker('ps', '-q', '--filter', `label=devcontainer.local_folder=${ws}`);
const removeContainers = () => {
  const ids = docker('ps', '-aq', '--filter', `label=devcontainer.local_folder=${ws}`).split('\n').filter(Boolean);
  if (ids.length) docker('rm', '-f', '-v', ...ids);
};
// the volumes are the engine's: start and end without this version's
const removeVolumes = () => tryDocker('volume', 'rm', VOLUME, `${VOLUME}-data`);

describeWith(['docker'], 'agent volumes: codex mounted read-only into new dev containers (bin/cac, real dockerd)', () => {
  beforeAll(() => {
    removeVolumes();
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
    removeContainers();
    removeVolumes();
    rmSync(root, { recursive: true, force: true });
  });

  it('warm installs codex from the registry once and fills its volume, labelled by kind, version and platform', async () => {
    const warm = await cac('agents', 'cache', 'warm', '--image', image, '--json');
    expect(warm.exitCode, warm.stderr).toBe(0);
    expect(JSON.parse(warm.stdout)).toMatchObject({ outcome: 'success', agents: [{ agent: 'codex', version: PINNED, from: 'registry', volume: VOLUME, status: 'ok' }] });
    expect(JSON.parse(docker('volume', 'inspect', '--format', '{{json .Labels}}', VOLUME))).toMatchObject({ 'cac.agent': 'codex', 'cac.version': PINNED, 'cac.platform': 'x86_64-gnu' });
    const list = JSON.parse((await cac('agents', 'cache', 'list', '--json')).stdout);
    expect(list.volumes).toEqual([{ agent: 'codex', version: PINNED, platform: 'x86_64-gnu', volume: VOLUME, usedBy: 0, pinned: true }]);
  });

  it('up: a new container mounts the volume and codex is linked from it, with the registry unreachable', async () => {
    const up = await cac('up', ws, '--json');
    expect(up.exitCode, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).agents).toMatchObject([{ agent: 'codex', status: 'ok', installed: true, installedFrom: 'volume', warnings: [] }]);
    const mounts = JSON.parse(docker('inspect', '--format', '{{json .Mounts}}', containerId())) as Array<{ Name?: string; Destination: string }>;
    expect(mounts).toContainEqual(expect.objectContaining({ Name: VOLUME, Destination: TARGET }));
    expect(docker('exec', '-u', 'dev', containerId(), 'bash', '-lc', 'readlink ~/.local/bin/codex; codex --version')).toBe(`${TARGET}/bin/codex\ncodex-cli ${PINNED}`);
    // no prefix was copied into the home
    expect(tryDocker('exec', '-u', 'dev', containerId(), 'test', '-e', `/home/dev/.local/lib/cac-agents/codex-${PINNED}`).status).toBe(1);
  });

  it('the container cannot write into the volume, as its user or as root', () => {
    for (const user of ['dev', 'root']) {
      for (const cmd of [`touch ${TARGET}/planted`, `rm -f ${TARGET}/bin/codex`, `echo x >> ${TARGET}/lib/node_modules/@openai/codex/package.json`]) {
        const r = tryDocker('exec', '-u', user, containerId(), 'sh', '-c', cmd);
        expect(r.status, `${user}: ${cmd}`).not.toBe(0);
        // root is stopped by the read-only mount itself; the user may meet the file's mode first
        expect(r.stderr).toMatch(user === 'root' ? /Read-only file system/ : /Read-only file system|Permission denied/);
      }
    }
    expect(tryDocker('exec', '-u', 'root', containerId(), 'mount', '-o', 'remount,rw', TARGET).status).not.toBe(0);
    expect(docker('exec', '-u', 'dev', containerId(), 'bash', '-lc', 'codex --version')).toBe(`codex-cli ${PINNED}`);
  });

  it('a container created without the mount falls back to the tar cache', async () => {
    expect((await cac('down', ws)).exitCode).toBe(0);
    const bare = await cac('up', ws, '--no-agents', '--json');
    expect(bare.exitCode, bare.stderr).toBe(0);
    const again = await cac('up', ws, '--json');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'reused', agents: [{ agent: 'codex', status: 'ok', installedFrom: 'cache', warnings: [] }] });
    expect(docker('exec', '-u', 'dev', containerId(), 'bash', '-lc', 'codex --version')).toBe(`codex-cli ${PINNED}`);
  });

  it('a missing volume is filled from the tar cache by the next up that creates a container', async () => {
    expect((await cac('down', ws)).exitCode).toBe(0);
    const rm = tryDocker('volume', 'rm', VOLUME, `${VOLUME}-data`);
    expect(rm.status, `${rm.stderr}; mounted by: ${docker('ps', '-a', '--filter', `volume=${VOLUME}`, '--format', '{{.ID}} {{.Labels}}')}`).toBe(0);
    const up = await cac('up', ws, '--json');
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.stderr).toContain(`Filling the agent volume of codex ${PINNED} (x86_64-gnu) from the cache`);
    expect(JSON.parse(up.stdout).agents).toMatchObject([{ agent: 'codex', status: 'ok', installedFrom: 'volume', warnings: [] }]);
    expect(docker('exec', '-u', 'dev', containerId(), 'bash', '-lc', 'codex --version')).toBe(`codex-cli ${PINNED}`);
  });

  it('prune keeps a volume a container mounts, and removes it (with its data) once none does', async () => {
    expect((await cac('down', ws)).exitCode).toBe(0);
    expect(JSON.parse((await cac('up', ws, '--json')).stdout).agents[0].installedFrom).toBe('volume');
    const kept = JSON.parse((await cac('agents', 'cache', 'prune', '--all', '--json')).stdout);
    expect(kept).toMatchObject({ outcome: 'success', removedVolumes: [], inUseVolumes: [VOLUME] });
    expect(docker('exec', '-u', 'dev', containerId(), 'bash', '-lc', 'codex --version')).toBe(`codex-cli ${PINNED}`);
    expect((await cac('down', ws)).exitCode).toBe(0);
    const pruned = JSON.parse((await cac('agents', 'cache', 'prune', '--all', '--json')).stdout);
    expect(pruned).toMatchObject({ removedVolumes: [VOLUME], inUseVolumes: [] });
    expect(tryDocker('volume', 'inspect', VOLUME).status).not.toBe(0);
    expect(tryDocker('volume', 'inspect', `${VOLUME}-data`).status).not.toBe(0);
  });
});
