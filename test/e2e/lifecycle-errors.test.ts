// Error paths of the lifecycle commands: exit code, the code in --json, and no container leaked.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { execa } from 'execa';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { processesMentioning } from '../helpers/procs.js';
import { BIN, runBin, tempHome } from '../helpers/run-cli.js';
import { cleanupRun, containersOf, makeWorkspace } from './lifecycle-fixtures.js';

const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv };
const cac = (args: string[], extra: Record<string, string> = {}) => runBin(args, { env: { ...env, ...extra } });
const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
const containerExists = async (id: string) => (await execa('docker', ['inspect', '--type', 'container', id], { env: { ...process.env, ...engineEnv() }, reject: false })).exitCode === 0;

describeWith(['docker'], 'lifecycle errors', () => {
  afterAll(cleanupRun);

  it('no devcontainer.json: exit 2, ERR_NO_DEVCONTAINER, lists where it looked', async () => {
    const folder = makeWorkspace('none', {}, {});
    const { rmSync } = await import('node:fs');
    rmSync(join(folder, '.devcontainer'), { recursive: true });
    const r = await cac(['up', folder, '--json']);
    expect(r.exitCode).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.code).toBe('ERR_NO_DEVCONTAINER');
    expect(doc.message).toContain(join(folder, '.devcontainer/devcontainer.json'));
    expect(doc.message).toContain(join(folder, '.devcontainer.json'));
  });

  it('invalid JSONC: exit 2 with file:line:col', async () => {
    const folder = makeWorkspace('badjson', {}, { image: BASE });
    const file = join(folder, '.devcontainer/devcontainer.json');
    writeFileSync(file, '{\n  "image": "x",\n  "name": oops\n}\n');
    const r = await cac(['up', folder]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file}:3:11: invalid symbol\n3 \\|   "name": oops\n`));
    expect(containersOf(folder)).toEqual([]);
  });

  it('Dockerfile build failure: exit 1, the last build lines and the full log path, no container', async () => {
    const folder = makeWorkspace('buildfail', { '.devcontainer/Dockerfile': `FROM ${BASE}\nRUN echo about-to-fail && exit 3\n` }, { build: { dockerfile: 'Dockerfile' } });
    const r = await cac(['up', folder]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('about-to-fail');
    expect(r.stderr).toContain('returned a non-zero code: 3');
    const log = /full log: (\S+)\)/.exec(r.stderr)?.[1];
    expect(log && existsSync(log)).toBe(true);
    const j = await cac(['up', folder, '--json']);
    expect(JSON.parse(j.stdout).code).toBe('ERR_BUILD_FAILED');
    expect(containersOf(folder)).toEqual([]);
    // nor the classic builder's container of the failed RUN step
    const step = /---> Running in ([0-9a-f]{12})/.exec(r.stderr)?.[1];
    expect(step).toBeDefined();
    expect(await containerExists(step ?? '')).toBe(false);
  });

  it('image not found: exit 1, ERR_IMAGE_NOT_FOUND, no container', async () => {
    const folder = makeWorkspace('noimage', {}, { image: 'cac-test/does-not-exist:latest' });
    const r = await cac(['up', folder, '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'ERR_IMAGE_NOT_FOUND', message: 'image cac-test/does-not-exist:latest not found locally and could not be pulled' });
    expect(containersOf(folder)).toEqual([]);
  });

  it('engine unreachable: exit 1 with a cac doctor hint', async () => {
    const folder = makeWorkspace('noengine', {}, { image: BASE });
    const r = await cac(['up', folder, '--json'], { DOCKER_HOST: `unix://${join(homeEnv.HOME, 'no.sock')}` });
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.code).toBe('ERR_ENGINE_UNREACHABLE');
    expect(doc.hint).toContain('cac doctor');
  });

  it('start without a container: exit 1, ERR_NO_CONTAINER with a cac up hint', async () => {
    const folder = makeWorkspace('nostart', {}, { image: BASE });
    const r = await cac(['start', folder, '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'ERR_NO_CONTAINER', hint: `create it with 'cac up ${folder}'` });
  });

  it('Ctrl-C during up stops the devcontainer CLI and every child of it, exits 130 and leaves no container', async () => {
    const marker = `cac-interrupt-${process.pid}-${Date.now()}`;
    const folder = makeWorkspace('interrupt', {}, { image: BASE, postCreateCommand: `sleep 120 && echo ${marker}` });
    const child = execa(process.execPath, [BIN, 'up', folder], { env: { ...env, NO_COLOR: '1' }, reject: false });
    const deadline = Date.now() + 120_000;
    while (containersOf(folder).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const [id] = containersOf(folder);
    expect(id).toBeDefined();
    // what cac started: the devcontainer CLI (its command line names the folder), its docker children
    // (they name the container) and the postCreateCommand running in the container (the marker)
    const needles = [folder, id ?? '', marker];
    while (!processesMentioning([marker]).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const before = processesMentioning(needles).filter((p) => p.pid !== child.pid);
    expect(
      before.some((p) => p.cmdline.includes('devcontainer') && p.cmdline.includes(folder)),
      JSON.stringify(before),
    ).toBe(true);
    expect(before.some((p) => p.cmdline.includes(marker))).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(String(r.stderr)).toContain('error: interrupted');
    expect(processesMentioning(needles)).toEqual([]);
    expect(containersOf(folder)).toEqual([]);
  });

  it('Ctrl-C during up of an existing container kills the devcontainer CLI and its docker clients, exits 130 and keeps the container', async () => {
    const marker = `cac-interrupt-start-${process.pid}-${Date.now()}`;
    // the first start only leaves a mark; every later start hangs in postStartCommand
    const folder = makeWorkspace('interrupt-start', {}, { image: BASE, postStartCommand: `if [ -e /tmp/started-once ]; then sleep 120 && echo ${marker}; else touch /tmp/started-once; fi` });
    expect((await cac(['up', folder])).exitCode).toBe(0);
    expect((await cac(['stop', folder])).exitCode).toBe(0);
    const [id] = containersOf(folder);
    expect(id).toBeDefined();
    const child = execa(process.execPath, [BIN, 'up', folder], { env: { ...env, NO_COLOR: '1' }, reject: false });
    const deadline = Date.now() + 120_000;
    while (!processesMentioning([marker]).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    // cac's side on this machine: the devcontainer CLI (it names the folder) and the docker clients it runs (they name the container)
    const ours = () => processesMentioning([folder, id ?? '']).filter((p) => p.pid !== child.pid);
    const before = ours();
    expect(
      before.some((p) => p.cmdline.includes('devcontainer') && p.cmdline.includes(folder)),
      JSON.stringify(before),
    ).toBe(true);
    expect(
      before.some((p) => /\bdocker\b.* exec /.test(p.cmdline)),
      JSON.stringify(before),
    ).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(ours()).toEqual([]);
    // a container up did not create stays
    expect(containersOf(folder)).toEqual([id]);
  });
});
