// `cac config validate` gives the verdict every other command gives: a config a box command refuses
// (exit 2) is invalid for validate too, with the same message; its --json document; an unreadable
// config (a directory) is a usage error (exit 2), whatever the command.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempHome } from '../helpers/run-cli.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const POOL = '[[pools]]\nrepo_url = "https://example.test/app.git"\n';
const fleetHost = (host: string) => `[[boxes.fleet]]\nhost = "${host}"\nuser = "cac"\nhost_key = "${KEY}"\n`;
const command = (create: string, rest = 'destroy = "/opt/p destroy"\nlist = "/opt/p list"\nstatus = "/opt/p status"\n') => `[boxes.command]\ncreate = ${JSON.stringify(create)}\n${rest}`;

function write(text: string): { env: Record<string, string>; file: string; stateDir: string } {
  const { env, home } = tempHome();
  const file = join(home, 'c.toml');
  writeFileSync(file, text);
  return { env: { ...env, CAC_CONFIG: file }, file, stateDir: join(env.XDG_STATE_HOME, 'cac') };
}

describe('config validate and the other commands agree (one validation)', () => {
  // [what, config text, the message after `<file>:<line>: `, the line]
  it.each([
    ['a bad base_branch', `${POOL}base_branch = "a..b"\n`, 'pools[0].base_branch: "a..b" contains ".."', 3],
    ['a pool listed twice', `${POOL}\n${POOL}`, 'pools[1].repo_url: pool https://example.test/app.git#main is defined twice (entries 0 and 1)', 5],
    ['a bad repo_url', '[[pools]]\nrepo_url = "svn://example.test/app"\n', 'pools[0].repo_url: "svn://example.test/app" scheme svn:// is not supported', 2],
    [
      'a piped command line',
      `[boxes]\ndriver = "command"\n\n${command('/opt/p create | tee log')}`,
      'boxes.command.create: cannot split the command "/opt/p create | tee log": unquoted | needs a shell',
      5,
    ],
    [
      'a command driver without status',
      `[boxes]\ndriver = "command"\n\n${command('/opt/p create', 'destroy = "/opt/p destroy"\nlist = "/opt/p list"\n')}`,
      'boxes.command: the command driver needs status',
      4,
    ],
    ['an ssh-fleet driver without hosts', '[boxes]\ndriver = "ssh-fleet"\n', 'boxes.fleet: the ssh-fleet driver needs at least one [[boxes.fleet]] host', 1],
    ['a fleet host listed twice', `[boxes]\ndriver = "ssh-fleet"\n\n${fleetHost('10.0.0.5')}\n${fleetHost('10.0.0.5')}`, 'boxes.fleet.1: cac@10.0.0.5:22 is listed twice', 9],
  ])('%s: validate exits 2 like pool status, with the same message', async (_what, text, message, line) => {
    const { env, file, stateDir } = write(text);
    const expected = `${file}:${line}: ${message}`;

    const validate = await runInProcess(['config', 'validate', file], env);
    expect(validate.exitCode, validate.stderr).toBe(2);
    expect(validate.stderr.split('\n')[0]).toBe(`error: ${expected}`);
    expect(validate.stdout).toBe('');
    const json = await runInProcess(['config', 'validate', file, '--json'], env);
    expect(json.exitCode).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: 'error', code: 'ERR_CONFIG_SCHEMA', message: expected });

    const other = await runInProcess(['pool', 'status', '--json'], env);
    expect(other.exitCode, other.stdout).toBe(2);
    expect(JSON.parse(other.stdout)).toMatchObject({ outcome: 'error', message: expected });
    // nothing opened: the verdict comes before any store or driver
    expect(existsSync(join(stateDir, 'boxes.db'))).toBe(false);
  });

  it('a config that uses every section correctly is valid for both', async () => {
    const { env, file } = write(`[boxes]\ndriver = "ssh-fleet"\n\n${fleetHost('10.0.0.5')}\n${fleetHost('10.0.0.6')}\n${command("/opt/p 'create'")}\n${POOL}base_branch = "release/1.2"\n\n${POOL}`);
    const validate = await runInProcess(['config', 'validate', file, '--json'], env);
    expect(validate.exitCode, validate.stderr).toBe(0);
    const status = await runInProcess(['pool', 'status', '--json'], env);
    expect(status.exitCode, status.stdout).toBe(0);
    expect((JSON.parse(status.stdout) as { pools: Array<{ poolKey: string }> }).pools.map((p) => p.poolKey)).toEqual(['https://example.test/app.git#release/1.2', 'https://example.test/app.git#main']);
  });

  it('every problem is listed, the first as the message', async () => {
    const { env, file } = write(`[[pools]]\nrepo_url = "nope"\n\n[[pools]]\nrepo_url = "https://example.test/b.git"\nbase_branch = "-x"\n`);
    const r = await runInProcess(['config', 'validate', file], env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error: '))).toEqual([
      `error: ${file}:2: pools[0].repo_url: "nope" is not a URL, user@host:path or an absolute path`,
      `error: ${file}:6: pools[1].base_branch: "-x" must not start with "-"`,
    ]);
  });
});

describe('config validate --json', () => {
  it('valid: {outcome: ok, file, exists: true, warnings: []}, exit 0', async () => {
    const { env, file } = write('[agents]\nenabled = true\n');
    const r = await runInProcess(['config', 'validate', '--json'], env);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ outcome: 'success', file, exists: true, warnings: [] });
    expect(r.stderr).toBe('');
  });

  it('unknown keys: outcome warnings, each with its dot path, line and message, exit 3', async () => {
    const { env, file } = write('[agents]\nenabled = true\n\n[boxes]\nleas_ttl = "1h"\n');
    const r = await runInProcess(['config', 'validate', file, '--json'], env);
    expect(r.exitCode).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({
      outcome: 'warnings',
      file,
      exists: true,
      warnings: [{ path: 'boxes.leas_ttl', line: 5, message: "unknown key 'boxes.leas_ttl' (did you mean 'lease_ttl'?)" }],
    });
  });

  it('no config file at the default place: exists false, all defaults, exit 0; a named file that is missing: exit 2', async () => {
    const { env, home } = tempHome();
    const r = await runInProcess(['config', 'validate', '--json'], env);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ outcome: 'success', file: join(env.XDG_CONFIG_HOME, 'cac/config.toml'), exists: false, warnings: [] });
    const named = await runInProcess(['config', 'validate', join(home, 'nope.toml'), '--json'], env);
    expect(named.exitCode).toBe(2);
    expect(JSON.parse(named.stdout)).toMatchObject({ outcome: 'error', code: 'ERR_CONFIG_NOT_FOUND' });
  });
});

describe('a config that cannot be read is a usage error (exit 2)', () => {
  it.each([[['config', 'validate', '<dir>']], [['config', 'show', '--config', '<dir>']], [['pool', 'status', '--config', '<dir>']]])('a directory as the config: %j', async (argv) => {
    const { env, home } = tempHome();
    const dir = join(home, 'conf.d');
    mkdirSync(dir);
    const args = argv.map((a) => (a === '<dir>' ? dir : a));
    const r = await runInProcess([...args, '--json'], env);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      outcome: 'error',
      code: 'ERR_CONFIG_READ',
      message: `${dir}: cannot read config (EISDIR)`,
      hint: 'that is a directory: point --config / $CAC_CONFIG at a file',
    });
  });
});
