import { writeFileSync, mkdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempHome } from '../helpers/run-cli.js';

describe('exit codes and error shapes', () => {
  it('an operation that fails exits 1 with a clear message and a hint', async () => {
    const r = await runInProcess(['box', 'ssh', 'box_000000000000'], tempHome().env);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("error: no box box_000000000000\nhint: see 'cac box list'\n");
    expect(r.stdout).toBe('');
  });

  it('unknown commands and flags exit 2 with a suggestion', async () => {
    const cmd = await runInProcess(['confg'], tempHome().env);
    expect(cmd.exitCode).toBe(2);
    expect(cmd.stderr).toMatch(/^error: unknown command 'confg'\nhint: did you mean config\?/);
    const flag = await runInProcess(['config', 'show', '--jsn'], tempHome().env);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toContain('hint: did you mean --json?');
  });

  it('under --json an error is one document on stdout', async () => {
    const r = await runInProcess(['--json', 'box', 'request'], tempHome().env);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      outcome: 'error',
      code: 'ERR_USAGE',
      message: "required option '--repo <url>' not specified",
      hint: "see 'cac --help'",
    });
    expect(r.stderr).toBe('');
  });

  it('global options are accepted before and after the command', async () => {
    const { env } = tempHome();
    const before = await runInProcess(['--json', 'config', 'path'], env);
    const after = await runInProcess(['config', 'path', '--json'], env);
    expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout));
    expect(JSON.parse(after.stdout).path).toBe(join(env.XDG_CONFIG_HOME, 'cac/config.toml'));
  });

  it('--config and $CAC_CONFIG choose the file', async () => {
    const { env, home } = tempHome();
    const viaEnv = await runInProcess(['config', 'path'], { ...env, CAC_CONFIG: join(home, 'e.toml') });
    expect(viaEnv.stdout.trim()).toBe(join(home, 'e.toml'));
    const viaFlag = await runInProcess(['config', 'path', '--config', join(home, 'f.toml')], { ...env, CAC_CONFIG: join(home, 'e.toml') });
    expect(viaFlag.stdout.trim()).toBe(join(home, 'f.toml'));
  });

  it('--version prints the version alone', async () => {
    const r = await runInProcess(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('no stack trace unless --verbose', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'bad.toml');
    writeFileSync(file, 'x = [\n');
    const quiet = await runInProcess(['config', 'show', '--config', file], env);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const verbose = await runInProcess(['config', 'show', '--config', file, '--verbose'], env);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });
});

describe('config commands', () => {
  it('init writes a commented starter, creating directories, and never overwrites without --force', async () => {
    const { env } = tempHome();
    const file = join(env.XDG_CONFIG_HOME, 'deep/er/config.toml');
    const first = await runInProcess(['config', 'init', '--config', file], env);
    expect(first.exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('# cac configuration');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    writeFileSync(file, '# mine\n');
    const again = await runInProcess(['config', 'init', '--config', file], env);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect(again.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('# mine\n');
    const forced = await runInProcess(['config', 'init', '--force', '--config', file], env);
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('# cac configuration');
  });

  it('show --json prints the effective config with defaults', async () => {
    const { env } = tempHome();
    const file = join(env.XDG_CONFIG_HOME, 'cac/config.toml');
    mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'), { recursive: true });
    writeFileSync(file, '[agents]\nenabled = true\n[agents.codex]\nenabled = true\n');
    const r = await runInProcess(['config', 'show', '--json'], env);
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ outcome: 'ok', file, exists: true });
    expect(doc.config.agents).toMatchObject({ enabled: true, on_start: true, codex: { enabled: true, install: true } });
    expect(doc.config.boxes.lease_ttl).toBe('8h');
  });

  it('show never prints a store password, in TOML or JSON', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'c.toml');
    writeFileSync(file, '[store]\nurl = "redis://cac:s3cret-pass-77@redis.example:6379/2"\n');
    const human = await runInProcess(['config', 'show', '--config', file], env);
    const json = await runInProcess(['config', 'show', '--config', file, '--json'], env);
    for (const r of [human, json]) {
      expect(r.exitCode).toBe(0);
      expect(r.stdout + r.stderr).not.toContain('s3cret-pass-77');
    }
    expect(human.stdout).toContain('url = "redis://cac:***@redis.example:6379/2"');
    expect(JSON.parse(json.stdout).config.store.url).toBe('redis://cac:***@redis.example:6379/2');
  });

  it('a syntax error exits 2 with file:line:col and the line shown', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'c.toml');
    writeFileSync(file, '[agents]\nenabled = yes\n');
    const r = await runInProcess(['config', 'show', '--config', file], env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file}:2:11: .+\n2 \\| enabled = yes\n {14}\\^\nhint: `));
  });

  it('a schema error exits 2 with file:line and the dot path; JSON shape under --json', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'c.toml');
    writeFileSync(file, '[boxes]\n\ndriver = 3\n');
    const r = await runInProcess(['config', 'show', '--config', file, '--json'], env);
    expect(r.exitCode).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.code).toBe('ERR_CONFIG_SCHEMA');
    expect(doc.message).toBe(`${file}:3: boxes.driver: expected one of "docker", "ssh-fleet", "command", got 3`);
  });

  it('validate: 0 valid, 3 unknown keys (warnings name the path), 2 invalid; 2 for a missing named file', async () => {
    const { env, home } = tempHome();
    const ok = join(home, 'ok.toml');
    const unknown = join(home, 'unknown.toml');
    const bad = join(home, 'bad.toml');
    writeFileSync(ok, '[agents]\nenabled = true\n');
    writeFileSync(unknown, '[agents]\nenabeld = true\n');
    writeFileSync(bad, '[agents]\nenabled = 1\n');
    expect((await runInProcess(['config', 'validate', ok], env)).exitCode).toBe(0);
    const u = await runInProcess(['config', 'validate', unknown], env);
    expect(u.exitCode).toBe(3);
    expect(u.stderr).toContain(`warning: ${unknown}:2: unknown key 'agents.enabeld' (did you mean 'enabled'?)`);
    expect((await runInProcess(['config', 'validate', bad], env)).exitCode).toBe(2);
    const missing = await runInProcess(['config', 'validate', join(home, 'nope.toml')], env);
    expect(missing.exitCode).toBe(2);
    expect(existsSync(join(home, 'nope.toml'))).toBe(false);
  });

  it('unknown keys elsewhere are warnings with exit 0', async () => {
    const { env, home } = tempHome();
    const file = join(home, 'c.toml');
    writeFileSync(file, '[engine]\nhots = "x"\n');
    const r = await runInProcess(['config', 'show', '--config', file], env);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("unknown key 'engine.hots' (did you mean 'host'?)");
  });
});

describe('agents sync --agent', () => {
  it('is repeatable and leaves a following workspace as the workspace', async () => {
    const { env, home } = tempHome();
    const r = await runInProcess(['agents', 'sync', '--agent', 'codex', '--agent', 'claude', join(home, 'no-such-ws')], env);
    expect(r.stderr).toContain(`workspace folder ${join(home, 'no-such-ws')} does not exist`);
  });

  it('refuses an unknown agent with the allowed values (exit 2)', async () => {
    const r = await runInProcess(['agents', 'sync', '--agent', 'bogus'], tempHome().env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('Allowed choices are codex, claude, cursor, gemini.');
  });
});
