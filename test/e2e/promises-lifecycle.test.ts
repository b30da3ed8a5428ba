// README promises of the local commands that no other test holds, through bin/cac on the real engine:
// the output flags (-q, -v, --no-color, NO_COLOR, FORCE_COLOR), every field of `list --json`, and the
// cac.managed=true label on the containers cac makes.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin, tempHome } from '../helpers/run-cli.js';
import { cleanupRun, containersOf, makeWorkspace } from './lifecycle-fixtures.js';

const BASE = infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm';
const { env: homeEnv, home } = tempHome();
// no color settings of our own: each test says what it wants
const plain = { ...engineEnv(), ...homeEnv, NO_COLOR: undefined, FORCE_COLOR: undefined };
const cac = (args: string[], extra: Record<string, string | undefined> = {}) => runBin(args, { env: { ...plain, ...extra } });
const ESC = '\x1b[';
const docker = (...args: string[]) => execFileSync('docker', args, { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' }).trim();

describeWith(['docker'], 'README promises: output flags, list --json, the cac.managed label', () => {
  let ws: string;
  beforeAll(() => {
    ws = makeWorkspace('promises', {}, { image: BASE, remoteUser: 'dev', postCreateCommand: 'echo made-by-postcreate' });
  });
  afterAll(cleanupRun);

  it('cac up: progress lines on stderr and nothing on stdout; -v adds the devcontainer CLI log; -q prints nothing', async () => {
    const normal = await cac(['up', ws]);
    expect(normal.exitCode, normal.stderr).toBe(0);
    expect(normal.stdout).toBe('');
    expect(normal.stderr).toMatch(/^\[ok\] Running postCreateCommand \(\d+\.\ds\)$/m);
    expect(normal.stderr).toMatch(/^created container [0-9a-f]{12} · user dev · \/workspaces\/\S+ \(\d+\.\ds\)$/m);
    expect(normal.stderr).not.toMatch(/^\[devcontainer\] /m);
    expect(normal.stderr).not.toContain(ESC);
    expect((await cac(['down', ws])).exitCode).toBe(0);

    const verbose = await cac(['up', ws, '-v']);
    expect(verbose.exitCode, verbose.stderr).toBe(0);
    // the child's own log lines, among them the postCreateCommand's output
    expect(verbose.stderr).toMatch(/^\[devcontainer\] .*made-by-postcreate/m);
    expect(verbose.stderr).toMatch(/^\[ok\] Running postCreateCommand/m);
    expect((await cac(['down', ws])).exitCode).toBe(0);

    const quiet = await cac(['up', ws, '-q']);
    expect(quiet).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(containersOf(ws)).toHaveLength(1);
  });

  it('-v prints the stack trace of an error; without it, only error and hint', async () => {
    const missing = join(home, 'no-workspace-here');
    const r = await cac(['up', missing]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^error: .+\nhint: .+\n$/);
    const v = await cac(['up', missing, '--verbose']);
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toMatch(/^error: .+\nhint: .+\n\w*Error: .+\n\s+at /);
  });

  it('colors: none on a pipe; FORCE_COLOR forces them; NO_COLOR and --no-color win over it', async () => {
    // a warning (an unknown key) and a progress step, both colored when colors are on
    const file = join(home, 'warn.toml');
    writeFileSync(file, '[boxes]\nleas_ttl = "1h"\n');
    const doctor = (extra: Record<string, string | undefined>, ...flags: string[]) => cac(['doctor', '--config', file, ...flags], extra);

    const piped = await doctor({});
    expect(piped.exitCode).toBe(3);
    expect(piped.stderr).toMatch(/^warning: .*unknown key 'boxes\.leas_ttl'/m);
    expect(piped.stderr).toMatch(/^\[ok\] Checking the machine/m);
    expect(piped.stderr + piped.stdout).not.toContain(ESC);

    const forced = await doctor({ FORCE_COLOR: '1' });
    expect(forced.exitCode).toBe(3);
    expect(forced.stderr).toContain(`${ESC}33mwarning:${ESC}39m`);
    expect(forced.stderr).toContain(`${ESC}32m[ok]${ESC}39m Checking the machine`);

    for (const off of [await doctor({ FORCE_COLOR: '1', NO_COLOR: '1' }), await doctor({ FORCE_COLOR: '1' }, '--no-color')]) {
      expect(off.exitCode).toBe(3);
      expect(off.stderr).toMatch(/^warning: .*unknown key/m);
      expect(off.stderr + off.stdout).not.toContain(ESC);
    }

    // -q: the warning and nothing else on stderr; the result (the table) still on stdout
    const quiet = await doctor({}, '-q');
    expect(quiet.exitCode).toBe(3);
    expect(quiet.stderr).toBe(`warning: ${file}:2: unknown key 'boxes.leas_ttl' (did you mean 'lease_ttl'?)\n`);
    expect(quiet.stdout).toMatch(/engine server/);
  });

  it('list --json: every documented field of the running container; it carries cac.managed=true', async () => {
    const up = await cac(['up', ws, '--json']);
    expect(up.exitCode).toBe(0);
    const { containerId } = JSON.parse(up.stdout) as { containerId: string };
    const r = await cac(['list', '--json']);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout) as { outcome: string; containers: Array<Record<string, unknown>> };
    expect(doc.outcome).toBe('success');
    const row = doc.containers.find((c) => c.containerId === containerId);
    expect(row).toBeDefined();
    expect(Object.keys(row ?? {}).sort()).toEqual(['ageMs', 'composeProject', 'configFile', 'containerId', 'createdAt', 'generatedConfig', 'image', 'remoteUser', 'services', 'state', 'workspace']);
    const [created, image] = docker('inspect', '--format', '{{.Created}} {{.Config.Image}}', containerId).split(' ');
    expect(row).toEqual({
      containerId,
      workspace: ws,
      configFile: join(ws, '.devcontainer/devcontainer.json'),
      // the folder's own config, not one cac generated (--image, default_image)
      generatedConfig: false,
      state: 'running',
      image,
      createdAt: created,
      ageMs: expect.any(Number),
      remoteUser: 'dev',
      // a single-container config has no Compose project
      composeProject: null,
      services: null,
    });
    expect(row?.ageMs as number).toBeGreaterThanOrEqual(0);
    expect(docker('inspect', '--format', '{{index .Config.Labels "cac.managed"}}', containerId)).toBe('true');

    // a container without the label is not cac's: list leaves it out
    const foreign = docker('run', '-d', '--label', `cac.test-run=${String(process.pid)}-foreign`, '--label', `devcontainer.local_folder=${ws}-foreign`, BASE, 'sleep', '60');
    try {
      const again = JSON.parse((await cac(['list', '--json'])).stdout) as { containers: Array<{ containerId: string }> };
      expect(again.containers.map((c) => c.containerId)).toContain(containerId);
      expect(again.containers.map((c) => c.containerId)).not.toContain(foreign);
    } finally {
      docker('rm', '-f', foreign);
    }

    expect((await cac(['stop', ws])).exitCode).toBe(0);
    const running = JSON.parse((await cac(['list', '--json'])).stdout) as { containers: Array<{ containerId: string }> };
    expect(running.containers.map((c) => c.containerId)).not.toContain(containerId);
    const all = JSON.parse((await cac(['list', '--all', '--json'])).stdout) as { containers: Array<{ containerId: string; state: string }> };
    expect(all.containers.find((c) => c.containerId === containerId)?.state).toBe('exited');
  });
});
