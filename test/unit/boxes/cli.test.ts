// `cac box …` / `cac pool …` input checks, in process: every bad value exits 2 naming its field, before
// any store or engine is touched.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driverScope } from '../../../src/app/boxes.js';
import { configSchema } from '../../../src/config/schema.js';
import { runInProcess, tempHome } from '../../helpers/run-cli.js';

function home(config?: string) {
  const { env } = tempHome();
  if (config !== undefined) {
    mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME, 'cac', 'config.toml'), config);
  }
  return env;
}

const pools = (body: string) => `[[pools]]\n${body}\n`;

describe('box and pool commands: bad input exits 2 naming the field', () => {
  it.each([
    [['box', 'request', '--repo', 'ftp://example.test/a.git'], '--repo: "ftp://example.test/a.git" scheme ftp:// is not supported'],
    [['box', 'request', '--repo', 'https://user:pw@example.test/a.git'], '--repo: "https://***@example.test/a.git" must not carry a password'],
    [['box', 'request', '--repo', 'https://ghp_TOKEN@example.test/a.git'], '--repo: "https://***@example.test/a.git" must not carry a user name or token'],
    [['box', 'request', '--repo', 'ssh://-oProxyCommand=id/a.git'], '--repo: "ssh://-oProxyCommand=id/a.git" has a host or user starting with "-"'],
    [['box', 'request', '--repo', 'https://example.test/a.git', '--branch', 'feat..x'], '--branch: "feat..x" contains ".."'],
    [['box', 'request', '--repo', 'https://example.test/a.git', '--branch', '-rf'], '--branch: "-rf" must not start with "-"'],
    [['box', 'request', '--repo', 'https://example.test/a.git', '--wait', '--timeout', 'soon'], '--timeout: "soon" is not a duration'],
    [['box', 'show', 'box_../../etc'], '<id>: "box_../../etc" is not a box id'],
    [['box', 'release', 'BOX_1'], '<id>: "BOX_1" is not a box id'],
    [['pool', 'reconcile', '--interval', '0s'], '--interval: "0s" is not a duration'],
    // past 2^31-1 ms a Node timer fires after 1 ms
    [['box', 'request', '--repo', 'https://example.test/a.git', '--wait', '--timeout', '30d'], '--timeout: "30d" is longer than 24.8 days'],
    [['box', 'show', 'box_000000000001', '--wait', '--timeout', '25d'], '--timeout: "25d" is longer than 24.8 days'],
    [['pool', 'reconcile', '--watch', '--interval', '30d'], '--interval: "30d" is longer than 24.8 days'],
    [['pool', 'pause', 'not a url'], '<repo>: "not a url" contains whitespace'],
    [['pool', 'resume', 'https://example.test/a.git', '--branch', 'a b'], '--branch: "a b" contains a space'],
    [['box', 'request', '--repo', 'https://example.test/a.git', '--ttl', '0s'], '--ttl: "0s" is not a duration'],
    [['box', 'request', '--repo', 'https://example.test/a.git', '--ttl', '11y'], '--ttl: "11y" is longer than 10 years'],
    [['box', 'renew', 'box_000000000001', '--ttl', 'later'], '--ttl: "later" is not a duration'],
    [['box', 'renew', 'box_000000000001', '--for', '-x'], '--for: '],
    [['box', 'renew', 'box_../x'], '<id>: "box_../x" is not a box id'],
  ])('%j', async (argv, message) => {
    const env = home();
    const r = await runInProcess(argv, env);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${message}`);
    expect(existsSync(join(env.XDG_STATE_HOME, 'cac', 'boxes.db'))).toBe(false);
  });

  it.each([
    [pools('repo_url = "svn://example.test/app"'), 'pools[0].repo_url: "svn://example.test/app" scheme svn:// is not supported'],
    [pools('repo_url = "https://ghp_TOKEN@example.test/app.git"'), 'pools[0].repo_url: "https://***@example.test/app.git" must not carry a user name or token'],
    [pools('repo_url = "ext::sh%-c%id"'), 'pools[0].repo_url: "ext::sh%-c%id" names a git transport'],
    [pools('repo_url = "https://example.test/app.git"\nbase_branch = "a..b"'), 'pools[0].base_branch: "a..b" contains ".."'],
    [pools('repo_url = "https://example.test/app.git"') + pools('repo_url = "https://example.test/app.git"'), 'pools[1].repo_url: pool https://example.test/app.git#main is defined twice'],
    [pools('repo_url = "https://example.test/app.git"\nmin_standby = -1'), 'pools.0.min_standby'],
    [pools('repo_url = "https://example.test/app.git"\nmin_standby = 5\nmax_instances = 2'), 'min_standby must not exceed max_instances'],
  ])('config %j', async (config, message) => {
    const env = home(config);
    const human = await runInProcess(['pool', 'reconcile', '--dry-run'], env);
    expect(human.exitCode, human.stderr).toBe(2);
    expect(human.stderr).toContain(message);
    const json = await runInProcess(['pool', 'status', '--json'], env);
    expect(json.exitCode).toBe(2);
    expect((JSON.parse(json.stdout) as { message: string }).message).toContain(message);
    expect(existsSync(join(env.XDG_STATE_HOME, 'cac', 'boxes.db'))).toBe(false);
  });

  it('CAC_RECONCILE_LOCK_TTL past what a timer keeps exits 2 naming the variable', async () => {
    const env = { ...home(pools('repo_url = "https://example.test/app.git"')), CAC_RECONCILE_LOCK_TTL: '30d' };
    const r = await runInProcess(['pool', 'reconcile', '--dry-run'], env);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('error: CAC_RECONCILE_LOCK_TTL: "30d" is longer than 24.8 days');
    expect(existsSync(join(env.XDG_STATE_HOME, 'cac', 'boxes.db'))).toBe(false);
  });

  it('--json puts the error document on stdout', async () => {
    const r = await runInProcess(['box', 'request', '--repo', 'nope', '--json'], home());
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'error', code: 'ERR_INVALID_INPUT', message: expect.stringMatching(/^--repo: /) });
  });

  it('the worker command is hidden from help', async () => {
    const r = await runInProcess(['box', '--help'], home());
    expect(r.stdout).toContain('request');
    expect(r.stdout).not.toContain('_provision');
  });
});

describe('driverScope', () => {
  it('labels VMs with a hash of the store location, plus the test run when CAC_TEST_RUN_LABEL is set', () => {
    const config = configSchema.parse({});
    const a = driverScope(config, '/tmp/a/cac', {});
    expect(a).toEqual({ 'cac.store': expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(driverScope(config, '/tmp/b/cac', {})['cac.store']).not.toBe(a['cac.store']);
    expect(driverScope(configSchema.parse({ store: { url: 'sqlite:/tmp/a/cac/boxes.db' } }), '/elsewhere', {})).toEqual(a);
    expect(driverScope(config, '/tmp/a/cac', { CAC_TEST_RUN_LABEL: 'run-1' })).toEqual({ ...a, 'cac.test-run': 'run-1' });
  });
});
