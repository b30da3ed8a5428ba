// A Docker Compose dev container (an `app` service built from a Dockerfile beside a `cache` service)
// through bin/cac on the real engine: truthful actions, the whole project stopped/started/removed,
// nothing left behind; and ERR_COMPOSE_MISSING when Compose is not installed.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';
import { RUN_ID, cleanupRun, makeWorkspace } from './lifecycle-fixtures.js';

const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
const { home, env: homeEnv } = tempHome();
// codex's files on the host: agents go into the `service` container
mkdirSync(join(home, '.codex'), { recursive: true });
writeFileSync(join(home, '.codex/config.toml'), 'model = "o4-mini"\n');
mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
writeFileSync(join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml'), '[agents]\nenabled = true\n\n[agents.codex]\nenabled = true\ninstall = false\n');
const env = { ...engineEnv(), ...homeEnv };
const cac = (args: string[], extra: Record<string, string> = {}) => runBin(args, { env: { ...env, ...extra } });
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;
const docker = (args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' });
const lines = (out: string) =>
  out
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();

/** name:state of the project's containers. */
const projectContainers = (project: string) => lines(docker(['ps', '-a', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Label "com.docker.compose.service"}}:{{.State}}']));
const projectNetworks = (project: string) => lines(docker(['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]));
const projectVolumes = (project: string) => lines(docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]));

/** The project the devcontainer CLI names for a compose file in .devcontainer: `<folder>_devcontainer`. */
const projectOf = (folder: string) => `${basename(folder).toLowerCase()}_devcontainer`;

function composeWorkspace(runServices?: string[]): string {
  // every service carries the run label, so teardown finds this run's containers whatever happens
  const labels = `    labels: ["cac.test-run=${RUN_ID}"]\n`;
  const compose = [
    'version: "3"',
    'services:',
    '  app:',
    '    build: { context: ., dockerfile: Dockerfile }',
    '    volumes: ["..:/workspaces/app:cached"]',
    '    command: sleep infinity',
    labels.trimEnd(),
    '  cache:',
    `    image: ${BASE}`,
    '    command: sleep infinity',
    '    volumes: ["cache-data:/data"]',
    labels.trimEnd(),
    'volumes:',
    '  cache-data: {}',
    '',
  ].join('\n');
  const folder = makeWorkspace(
    'compose',
    { '.devcontainer/compose.yml': compose, '.devcontainer/Dockerfile': `FROM ${BASE}\nRUN echo app-built > /etc/app-marker\n` },
    {
      dockerComposeFile: 'compose.yml',
      service: 'app',
      workspaceFolder: '/workspaces/app',
      ...(runServices ? { runServices } : {}),
    },
  );
  return folder;
}

describeWith(['docker'], 'Docker Compose dev containers', () => {
  const projects: string[] = [];
  afterAll(() => {
    cleanupRun();
    // what a failed run may leave: the project's network and the image Compose built for `app` (v1 `_`, v2 `-`)
    for (const p of projects) {
      for (const n of projectNetworks(p)) docker(['network', 'rm', n]);
      for (const v of projectVolumes(p)) docker(['volume', 'rm', v]);
      for (const image of [`${p}_app`, `${p}-app`]) spawnSync('docker', ['rmi', image], { env: { ...process.env, ...engineEnv() }, stdio: 'ignore' });
    }
  });

  it('two services: up → exec → stop → start → rebuild → down, nothing left behind', async () => {
    const folder = composeWorkspace();
    const project = projectOf(folder);
    projects.push(project);

    const up = await cac(['up', folder, '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const created = json(up.stdout);
    expect(created).toMatchObject({ outcome: 'success', action: 'created', remoteWorkspaceFolder: '/workspaces/app', composeProject: project });
    expect(projectContainers(project)).toEqual(['app:running', 'cache:running']);
    expect(created.agents).toEqual([expect.objectContaining({ agent: 'codex' })]);
    expect((await cac(['exec', folder, '--', 'ls', '/root/.codex'])).stdout).toBe('config.toml\n');
    // the result (and agent injection) is the `service` container
    const id = String(created.containerId);
    expect(docker(['inspect', '--format', '{{index .Config.Labels "com.docker.compose.service"}}', id]).trim()).toBe('app');
    expect((await cac(['exec', folder, '--', 'grep', '-q', 'app-built', '/etc/app-marker'])).exitCode).toBe(0);
    expect((await cac(['exec', folder, '--', 'cat', 'README.md'])).stdout).toBe('fixture compose\n');

    expect(json((await cac(['up', folder, '--json'])).stdout)).toMatchObject({ action: 'reused', containerId: id, composeProject: project });

    expect(json((await cac(['stop', folder, '--json'])).stdout)).toMatchObject({ action: 'stopped', containerId: id });
    expect(projectContainers(project)).toEqual(['app:exited', 'cache:exited']);
    const listed = json((await cac(['list', '--all', '--json'])).stdout).containers as Array<Record<string, unknown>>;
    expect(listed.filter((c) => c.workspace === folder)).toEqual([expect.objectContaining({ containerId: id, state: 'exited', composeProject: project, services: ['app', 'cache'] })]);

    expect(json((await cac(['start', folder, '--json'])).stdout)).toMatchObject({ action: 'started', containerId: id });
    expect(projectContainers(project)).toEqual(['app:running', 'cache:running']);

    // rebuild rebuilds the services that have a build: the changed Dockerfile is built
    writeFileSync(join(folder, '.devcontainer/Dockerfile'), `FROM ${BASE}\nRUN echo app-rebuilt > /etc/app-marker\n`);
    const rebuilt = await cac(['rebuild', folder, '--json']);
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    const fresh = json(rebuilt.stdout);
    expect(fresh).toMatchObject({ action: 'rebuilt', composeProject: project });
    expect(fresh.containerId).not.toBe(id);
    expect(projectContainers(project)).toEqual(['app:running', 'cache:running']);
    expect((await cac(['exec', folder, '--', 'cat', '/etc/app-marker'])).stdout).toBe('app-rebuilt\n');
    expect(projectVolumes(project)).toHaveLength(1);

    const down = json((await cac(['down', folder, '--volumes', '--json'])).stdout);
    expect(down).toMatchObject({ action: 'removed', containerId: fresh.containerId });
    expect(projectContainers(project)).toEqual([]);
    expect(projectNetworks(project)).toEqual([]);
    expect(projectVolumes(project)).toEqual([]);
    expect(json((await cac(['down', folder, '--json'])).stdout)).toMatchObject({ action: 'none' });
  });

  it('runServices: up starts only the services it names; down removes what it started', async () => {
    const folder = composeWorkspace(['app']);
    const project = projectOf(folder);
    projects.push(project);
    const up = await cac(['up', folder, '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(projectContainers(project)).toEqual(['app:running']);
    expect(json((await cac(['down', folder, '--json'])).stdout)).toMatchObject({ action: 'removed' });
    expect(projectContainers(project)).toEqual([]);
    expect(projectNetworks(project)).toEqual([]);
  });

  it('without Compose installed: ERR_COMPOSE_MISSING with the install hint, not a raw spawn error', async () => {
    const folder = composeWorkspace();
    projects.push(projectOf(folder));
    // a PATH with docker but no docker-compose (and no compose plugin on this engine's docker)
    const bin = mkdtempSync(join(tmpdir(), 'cac-nocompose-'));
    symlinkSync(execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim(), join(bin, 'docker'));
    const r = await cac(['up', folder, '--json'], { PATH: bin });
    expect(r.exitCode).toBe(1);
    const err = json(r.stdout);
    expect(err).toMatchObject({ code: 'ERR_COMPOSE_MISSING', message: expect.stringContaining('runs on this machine') });
    expect(String(err.hint)).toContain('apt-get install docker-compose');
    expect(r.stderr).not.toContain('ENOENT');
  });
});
