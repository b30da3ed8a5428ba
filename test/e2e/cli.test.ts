// The built bin/cac as a user runs it, against the real engine from scripts/infra.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { REPO_ROOT, runBin, tempHome } from '../helpers/run-cli.js';

describeWith(['docker', 'redis'], 'bin/cac', () => {
  it('--help lists the whole command tree on stdout', async () => {
    const r = await runBin(['--help']);
    expect(r.exitCode).toBe(0);
    for (const cmd of ['up', 'start', 'stop', 'rebuild', 'down', 'exec', 'list', 'agents', 'box', 'pool', 'config', 'doctor', 'completion']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }
  });

  it('--version prints the package version (the launcher answers it without loading the CLI)', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await runBin(['--version']);
    expect(r).toMatchObject({ exitCode: 0, stdout: `${version}\n`, stderr: '' });
    expect((await runBin(['--json', '--version'])).stdout).toBe(`${version}\n`);
  });

  it('config init then config show --json round-trips the defaults', async () => {
    const { env } = tempHome();
    const init = await runBin(['config', 'init'], { env: { ...engineEnv(), ...env } });
    expect(init.exitCode).toBe(0);
    const file = join(env.XDG_CONFIG_HOME, 'cac/config.toml');
    expect(init.stdout.trim()).toBe(file);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    const show = await runBin(['config', 'show', '--json'], { env: { ...engineEnv(), ...env } });
    expect(show.exitCode).toBe(0);
    const doc = JSON.parse(show.stdout);
    expect(doc).toMatchObject({ outcome: 'success', file, exists: true });
    expect(doc.config.agents.enabled).toBe(false);
    expect(doc.config.store).toEqual({});
  });

  it('a broken config exits 2 naming file:line:col', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'broken.toml');
    await import('node:fs').then((fs) => fs.writeFileSync(file, '[boxes]\ndriver = "docker\n'));
    const r = await runBin(['config', 'show', '--config', file], { env: { ...engineEnv(), ...env } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file}:2:\\d+: `));
  });

  it('doctor --json reports the real engine, devcontainer CLI, git, ssh, config and SQLite store', async () => {
    const { env } = tempHome();
    const r = await runBin(['doctor', '--json'], { env: { ...engineEnv(), ...env } });
    const doc = JSON.parse(r.stdout);
    const byName = Object.fromEntries(doc.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName['engine server'].status).toBe('ok');
    expect(byName['engine server'].detail).toMatch(/^Docker \d+\.\d+/);
    // scripts/infra up installs Debian's docker-compose (Compose v1); the docker.io client has no v2 plugin
    expect(byName.compose).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^(docker compose|docker-compose) v?\d+\.\d+/) });
    expect(byName['devcontainer CLI']).toMatchObject({ status: 'ok', detail: '@devcontainers/cli 0.89.0' });
    expect(byName.git.status).toBe('ok');
    expect(byName.store).toMatchObject({ status: 'ok' });
    expect(byName.store.detail).toContain(join(env.XDG_STATE_HOME, 'cac/boxes.db'));
    // on the test machine (scripts/infra up) every check passes: exit 0
    expect(doc.checks.filter((c: { status: string }) => c.status !== 'ok')).toEqual([]);
    expect([r.exitCode, doc.outcome]).toEqual([0, 'success']);
  });

  it('doctor exits 3 when a check ends in a warning and none in an error (an unknown config key)', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'c.toml');
    writeFileSync(file, '[boxes]\nleas_ttl = "1h"\n');
    const r = await runBin(['doctor', '--json', '--config', file], { env: { ...engineEnv(), ...env } });
    const doc = JSON.parse(r.stdout);
    expect(doc.checks.filter((c: { status: string }) => c.status !== 'ok')).toEqual([{ name: 'config', status: 'warning', detail: `${file}: 1 unknown key(s)`, hint: "run 'cac config validate'" }]);
    expect([r.exitCode, doc.outcome]).toEqual([3, 'warnings']);
    const human = await runBin(['doctor', '--config', file], { env: { ...engineEnv(), ...env } });
    expect(human.exitCode).toBe(3);
    expect(human.stderr).toContain(`warning: ${file}:2: unknown key 'boxes.leas_ttl' (did you mean 'lease_ttl'?)`);
  });

  it('doctor with a Redis store PINGs it; an unreachable engine is an error with a hint (exit 1)', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'c.toml');
    await import('node:fs').then((fs) => fs.writeFileSync(file, `[store]\nurl = "${infra.CAC_TEST_REDIS_URL}"\n[engine]\nhost = "unix://${home}/no-such.sock"\n`));
    const r = await runBin(['doctor', '--json', '--config', file], { env: { ...engineEnv(), ...env } });
    expect(r.exitCode).toBe(1);
    const doc = JSON.parse(r.stdout);
    const byName = Object.fromEntries(doc.checks.map((c: { name: string }) => [c.name, c]));
    expect(byName.store).toMatchObject({ status: 'ok' });
    expect(byName.store.detail).toContain('PONG');
    expect(byName['engine server'].status).toBe('error');
    expect(byName['engine server'].hint).toContain('scripts/infra up');
    expect(readFileSync(file, 'utf8')).toContain('[store]');
  });
});
