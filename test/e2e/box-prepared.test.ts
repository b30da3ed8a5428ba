// Pools prepared ahead, through bin/cac on the real dockerd with the real box image: `cac pool prepare`
// makes the pool's images once (a throwaway box, its inner engine saved in a volume), a second prepare
// with the same devcontainer config changes nothing, `pool status` shows it, and a cold box of the pool
// starts its inner engine from it: the UID-update image is older than the box, the devcontainer CLI came
// from the prepared copy (not npm), the worker log says so. With codex enabled and cached here (a real
// `agents cache warm` from the npm registry, which also fills the engine's agent volume), the box container
// sees that volume read-only, its dev container mounts a read-only view of it from the box's engine and
// codex is linked from it: no prefix copied into the home or the box, nothing in the dev container (root
// included) can write into it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { runBin, tempHome } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-prepared');
const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN };
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-prep-'));
const REPO = `file://${repo}`;
const docker = (...args: string[]) => execFileSync('docker', args, { env: engineEnv(), encoding: 'utf8' });
const runVolumes = () => docker('volume', 'ls', '-q', '--filter', `label=cac.test-run=${RUN}`).split('\n').filter(Boolean);

async function json<T>(args: string[]): Promise<T> {
  const r = await runBin([...args, '--json'], { env, timeoutMs: 600_000 });
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const PINNED = '0.171.0';
const VOLUME = `cac-agent-codex-${PINNED}-x86_64-gnu`;
const TARGET = `/opt/cac-agents/codex-${PINNED}-x86_64-gnu`;

interface Report {
  action: string;
  configHash: string;
  preparedAt: number;
}

describeWith(['docker'], 'pools prepared ahead: cac pool prepare, then a cold box from the prepared images (bin/cac)', () => {
  makeBoxRepo(repo);
  // codex is injected only with a login to copy
  mkdirSync(join(homeEnv.HOME, '.codex'), { recursive: true });
  writeFileSync(join(homeEnv.HOME, '.codex/auth.json'), '{"OPENAI_API_KEY":"sk-e2e"}\n', { mode: 0o600 });
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(
    join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    `[agents]\nenabled = true\n\n[agents.codex]\nenabled = true\n\n[boxes]\npreload_images = ["cac-test/base:bookworm"]\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = 0\nmax_instances = 2\n`,
  );
  afterAll(() => {
    removeRun(RUN);
    for (const v of runVolumes()) docker('volume', 'rm', v);
    // `agents cache warm` filled codex's volume on this engine: other files expect none
    spawnSync('docker', ['volume', 'rm', VOLUME, `${VOLUME}-data`], { env: engineEnv() });
    rmSync(repo, { recursive: true, force: true });
  });

  let prepared: Report;

  it('prepares the pool once; the same config again is unchanged; pool status shows it; the throwaway box is gone', async () => {
    // the first install of codex, from the npm registry, into this machine's agent cache and the engine's agent volume
    const warm = await json<{ agents: Array<{ agent: string; version: string; status: string; volume: string | null }> }>(['agents', 'cache', 'warm', '--image', 'cac-test/base:bookworm']);
    expect(warm.agents).toMatchObject([{ agent: 'codex', version: PINNED, status: 'ok', volume: VOLUME }]);
    const first = await json<{ pools: Report[] }>(['pool', 'prepare']);
    expect(first.pools).toHaveLength(1);
    prepared = first.pools[0] as Report;
    expect(prepared).toMatchObject({ action: 'prepared', configHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(runContainers(RUN)).toEqual([]);
    expect(runVolumes()).toHaveLength(1);
    const again = await json<{ pools: Report[] }>(['pool', 'prepare']);
    expect(again.pools[0]).toMatchObject({ action: 'unchanged', configHash: prepared.configHash, preparedAt: prepared.preparedAt });
    const status = await json<{ pools: Array<{ prepared: { configHash: string; preparedAt: number } | null }> }>(['pool', 'status']);
    expect(status.pools[0]?.prepared).toMatchObject({ configHash: prepared.configHash, preparedAt: prepared.preparedAt });
  });

  it('a cold box starts from the prepared images: the UID-update image predates the box, the CLI is the prepared copy, the log says so', async () => {
    const { box } = await json<{ box: { id: string; state: string; vmRef: string; createdAt: number; steps: Array<{ name: string; ok: boolean }> } }>([
      'box',
      'request',
      '--repo',
      REPO,
      '--wait',
      '--timeout',
      '10m',
    ]);
    expect(box.state).toBe('ready');
    expect(box.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', true],
      ['repo', true],
      ['devcontainer', true],
      ['agents', true],
    ]);
    const onBox = (script: string) => docker('exec', '-u', 'cac', box.vmRef, 'sh', '-c', script).trim();
    expect(JSON.parse(onBox('sudo -n cat /var/lib/docker/cac-prepared.json'))).toMatchObject({ configHash: prepared.configHash, preparedAt: prepared.preparedAt });
    // the box's UID-update image (its name holds the checkout's path, so it is tagged anew; its id is the prepared one)
    const uid = onBox("docker image ls --format '{{.Repository}} {{.ID}}' | awk '$1 ~ /-uid$/ {print $2}' | sort -u");
    expect(uid).not.toBe('');
    const created = Date.parse(onBox(`docker image inspect --format '{{.Created}}' ${uid}`));
    expect(created).toBeLessThan(box.createdAt);
    expect(onBox('readlink -f "$(command -v devcontainer || echo ~/.local/bin/devcontainer)"')).toMatch(/\/\.local\/lib\/cac-devcontainer-cli\/devcontainer\.js$/);
    const log = readFileSync(join(homeEnv.XDG_STATE_HOME, 'cac', 'logs', `box-${box.id}.log`), 'utf8');
    expect(log).toContain("devcontainer from the pool's prepared images");

    // codex: the engine's agent volume, read-only in the box, a read-only view of it in the dev container, linked
    const boxMounts = JSON.parse(docker('inspect', '--format', '{{json .Mounts}}', box.vmRef)) as Array<{ Name?: string; Destination: string; RW: boolean }>;
    expect(boxMounts).toContainEqual(expect.objectContaining({ Name: VOLUME, Destination: TARGET, RW: false }));
    const container = onBox(`docker ps -q --filter label=cac.box=${box.id}`);
    const mounts = JSON.parse(onBox(`docker inspect --format '{{json .Mounts}}' ${container}`)) as Array<{ Name?: string; Destination: string }>;
    expect(mounts).toContainEqual(expect.objectContaining({ Name: VOLUME, Destination: TARGET }));
    const inContainer = (user: string, script: string) =>
      spawnSync('docker', ['exec', '-u', 'cac', box.vmRef, 'docker', 'exec', '-u', user, container, 'sh', '-c', script], { env: engineEnv(), encoding: 'utf8' });
    const codex = inContainer('dev', 'readlink "$HOME/.local/bin/codex"; "$HOME/.local/bin/codex" --version');
    expect(codex.stdout.trim(), codex.stderr).toBe(`${TARGET}/bin/codex\ncodex-cli ${PINNED}`);
    expect(inContainer('dev', `test -e "$HOME/.local/lib/cac-agents/codex-${PINNED}"`).status, 'no prefix was copied into the home').toBe(1);
    for (const user of ['dev', 'root']) expect(inContainer(user, `touch ${TARGET}/planted`).status, `${user} writes into the volume`).not.toBe(0);
    await json(['box', 'release', box.id]);
  });
});
