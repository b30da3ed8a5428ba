// The lifecycle e2e subset (image, Dockerfile: up, exec, stop/start, down) through bin/cac against
// Podman's Docker-compatible API socket. Its own lane (`scripts/test-lanes podman`), not part of
// `just test`: start the socket first, e.g.
//   podman system service --time=0 unix:///tmp/podman.sock &
//   CAC_TEST_PODMAN_HOST=unix:///tmp/podman.sock scripts/test-lanes podman
// Without CAC_TEST_PODMAN_HOST the lane is skipped with a line saying so (and fails under CI=true).
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineEnv, infra } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';
import { RUN_ID, fixture } from '../e2e/lifecycle-fixtures.js';

const PODMAN = process.env.CAC_TEST_PODMAN_HOST;
const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
const podmanEnv = { PATH: process.env.PATH ?? '', DOCKER_HOST: PODMAN ?? '' };
const { env: homeEnv } = tempHome();
const cac = (args: string[]) => runBin(args, { env: { ...podmanEnv, ...homeEnv } });
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;
const onPodman = (args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...podmanEnv }, encoding: 'utf8' });
const runContainers = () =>
  onPodman(['ps', '-aq', '--filter', `label=cac.test-run=${RUN_ID}`])
    .split('\n')
    .filter(Boolean);

function lane(name: string, fn: () => void): void {
  if (PODMAN) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('has a Podman socket', () => {
        throw new Error('CAC_TEST_PODMAN_HOST is not set: start `podman system service --time=0 unix:///tmp/podman.sock` and export it');
      });
    });
    return;
  }
  process.stderr.write(`skipping "${name}": CAC_TEST_PODMAN_HOST is not set (podman system service --time=0 unix:///tmp/podman.sock)\n`);
  describe.skip(name, fn);
}

lane('local devcontainer lifecycle on Podman (Docker-compatible API)', () => {
  beforeAll(() => {
    // no registry: copy the base image from the test dockerd into Podman's store when it lacks it
    if (spawnSync('docker', ['image', 'inspect', BASE], { env: { ...process.env, ...podmanEnv }, stdio: 'ignore' }).status === 0) return;
    const saved = execFileSync('docker', ['save', BASE], { env: { ...process.env, ...engineEnv() }, maxBuffer: 2 ** 31 });
    execFileSync('docker', ['load'], { env: { ...process.env, ...podmanEnv }, input: saved, stdio: ['pipe', 'ignore', 'inherit'] });
  });
  afterAll(() => {
    const ids = runContainers();
    if (ids.length) onPodman(['rm', '-f', '-v', ...ids]);
  });

  it('doctor names Podman as the engine', async () => {
    const r = await cac(['doctor', '--json']);
    const server = (json(r.stdout).checks as Array<Record<string, unknown>>).find((c) => c.name === 'engine server');
    expect(server).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^Podman \d/) });
  });

  it.each(['image', 'dockerfile'] as const)('%s: up → exec → stop → start → down', async (name) => {
    const { folder, user, check } = fixture(name);
    const up = await cac(['up', folder, '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const created = json(up.stdout);
    expect(created).toMatchObject({ action: 'created', remoteUser: user });
    const id = String(created.containerId);
    expect((await cac(['exec', folder, '--', 'sh', '-c', check])).exitCode).toBe(0);
    expect(json((await cac(['stop', folder, '--json'])).stdout)).toMatchObject({ action: 'stopped', containerId: id });
    expect(json((await cac(['start', folder, '--json'])).stdout)).toMatchObject({ action: 'started', containerId: id });
    expect((await cac(['exec', folder, '--', 'id', '-un'])).stdout.trim()).toBe(user);
    expect(json((await cac(['down', folder, '--volumes', '--json'])).stdout)).toMatchObject({ action: 'removed', containerId: id });
    expect(runContainers().filter((c) => id.startsWith(c))).toEqual([]);
  });
});
