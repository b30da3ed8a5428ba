// A box provisioned from a repository whose dev container is a Docker Compose config (an `app` service
// built from a Dockerfile beside a `cache` service), through bin/cac on the real dockerd with the real box
// image (its own Docker engine and docker-compose): the standby box runs both services on its inner engine,
// `box exec` and the agents land in the `service` container, a warm claim for a branch whose Dockerfile
// differs rebuilds `app`, and release leaves nothing (no box container, no volume).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { makeComposeBoxRepo } from '../helpers/box-repo.js';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-box-compose');
const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
const { home, env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN };
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-crepo-'));
const REPO = `file://${repo}`;

interface BoxDoc {
  id: string;
  state: string;
  vmRef: string;
  steps: Array<{ name: string; ok: boolean }>;
  workspace: { folder: string; branch: string; containerId: string; remoteUser: string; remoteWorkspaceFolder: string } | null;
}

async function json<T>(args: string[], exit = 0): Promise<T> {
  const r = await runBin([...args, '--json'], { env });
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return JSON.parse(r.stdout) as T;
}

const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' });
/** A command on the box itself (as its user cac), outside cac. */
const onBox = (box: BoxDoc, script: string) => docker('exec', '-u', 'cac', box.vmRef, 'sh', '-c', script).trim();
const sorted = (out: string) => out.split('\n').filter(Boolean).sort();

/** service:state of every container of the `service` container's Compose project, on the box's engine. */
function services(box: BoxDoc): string[] {
  const project = onBox(box, `docker inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' ${box.workspace?.containerId}`);
  expect(project).not.toBe('');
  return sorted(onBox(box, `docker ps -a --filter label=com.docker.compose.project=${project} --format '{{.Label "com.docker.compose.service"}}:{{.State}}'`));
}

describeWith(['docker'], 'a box provisioned from a Docker Compose repository (bin/cac, docker driver)', () => {
  let box: BoxDoc;

  makeComposeBoxRepo(repo, BASE);
  mkdirSync(join(home, '.codex'), { recursive: true });
  writeFileSync(join(home, '.codex/config.toml'), 'model = "o4-mini"\n');
  writeFileSync(join(home, '.codex/auth.json'), '{"OPENAI_API_KEY":"sk-test-not-a-secret"}\n', { mode: 0o600 });
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(
    join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'),
    `[agents]\nenabled = true\n\n[agents.codex]\nenabled = true\ninstall = false\n\n[boxes]\npreload_images = ["${BASE}"]\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = 1\nmax_instances = 2\n`,
  );
  afterAll(() => {
    removeRun(RUN);
    rmSync(repo, { recursive: true, force: true });
  });

  it('reconcile makes a standby box: both services run on its inner engine, the workspace is the `service` container', async () => {
    const filled = await json<{ pools: Array<{ applied: { provisioned: Array<{ id: string; outcome: string; error?: string }> } }> }>(['pool', 'reconcile']);
    const provisioned = filled.pools[0]?.applied.provisioned ?? [];
    expect(
      provisioned.map((p) => p.outcome),
      JSON.stringify(provisioned),
    ).toEqual(['standby']);
    box = (await json<{ box: BoxDoc }>(['box', 'show', provisioned[0]?.id ?? ''])).box;
    expect(box.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', true],
      ['repo', true],
      ['devcontainer', true],
      ['agents', true],
    ]);
    expect(box.workspace).toMatchObject({ branch: 'main', remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/app' });
    expect(services(box)).toEqual(['app:running', 'cache:running']);
    expect(onBox(box, `docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}}' ${box.workspace?.containerId}`)).toBe('app');
    // on the engine cac runs on, the box is its one container: the services are inside it
    expect(docker('ps', '-a', '-q', '--no-trunc', '--filter', `label=cac.box=${box.id}`).trim()).toBe(box.vmRef);
    // the next round's standby check keeps it
    const again = await json<{ pools: Array<{ plan: { creates: number }; applied: { unfit: unknown[] } }> }>(['pool', 'reconcile']);
    expect(again.pools[0]).toMatchObject({ plan: { creates: 0 }, applied: { unfit: [] } });
  });

  it('box exec runs in the `service` container (the checkout mounted, codex injected, the cache service reachable)', async () => {
    const r = await runBin(['box', 'exec', box.id, '--', 'sh', '-c', 'cat /etc/app-marker; pwd; id -un; ls ~/.codex; cat README.md; getent hosts cache >/dev/null && echo cache-reachable'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['app-built-main', '/workspaces/app', 'dev', 'auth.json', 'config.toml', 'compose on main', 'cache-reachable']);
  });

  it('a warm claim for a branch whose Dockerfile differs rebuilds `app`; the agents are injected again', async () => {
    const grant = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--branch', 'feature', '--for', 'ticket-9']);
    expect(grant).toMatchObject({ warm: true, box: { id: box.id, state: 'ready', workspace: { branch: 'feature' } } });
    expect(grant.box.steps.at(-1)).toMatchObject({ name: 'switch', ok: true });
    box = grant.box;
    expect(services(box)).toEqual(['app:running', 'cache:running']);
    const r = await runBin(['box', 'exec', box.id, '--', 'sh', '-c', 'cat /etc/app-marker; ls ~/.codex'], { env });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['app-built-feature', 'auth.json', 'config.toml']);
  });

  it('release leaves nothing: the box container (and so its engine, services and networks) and its volume are gone', async () => {
    const volumes = docker('inspect', '--format', '{{range .Mounts}}{{if .Name}}{{.Name}} {{end}}{{end}}', box.vmRef).trim().split(' ').filter(Boolean);
    expect(volumes.length).toBeGreaterThan(0);
    expect((await json<{ box: BoxDoc }>(['box', 'release', box.id])).box.state).toBe('destroyed');
    expect(runContainers(RUN)).toEqual([]);
    for (const v of volumes) expect(sorted(docker('volume', 'ls', '-q', '--filter', `name=^${v}$`))).toEqual([]);
  });
});
