// `cac agents doctor` in-process, host part only (no workspace, so no engine is asked).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempHome } from '../../helpers/run-cli.js';

describe('cac agents doctor without a container', () => {
  it('reports host checks and the plan, never a value, and exits 0', async () => {
    const { home, env } = tempHome();
    mkdirSync(join(home, '.codex'));
    writeFileSync(join(home, '.codex/auth.json'), '{"token":"SECRET-TOKEN"}');
    mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'));
    writeFileSync(join(env.XDG_CONFIG_HOME, 'cac/config.toml'), '[agents]\nenabled = true\n[agents.codex]\nenabled = true\nenv_forward = ["OPENAI_API_KEY"]\n');
    const r = await runInProcess(['agents', 'doctor', join(home, 'no-such-workspace'), '--json'], { ...env, OPENAI_API_KEY: 'sk-SECRET-ENV' });
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ outcome: 'success', container: null });
    expect(doc.note).toMatch(/^host checks only: workspace folder .* does not exist$/);
    expect(doc.agents[0]).toMatchObject({
      agent: 'codex',
      enabled: true,
      host: { validated: true, files: 1, env: [{ name: 'OPENAI_API_KEY', set: true }] },
      actions: ['copy 1 file(s) to ~/.codex', 'forward OPENAI_API_KEY', 'install if missing: npm i -g @openai/codex@0.171.0'],
    });
    expect(r.stdout + r.stderr).not.toContain('SECRET');
    const human = await runInProcess(['agents', 'doctor', join(home, 'no-such-workspace')], env);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toContain('no running container');
    expect(human.stdout).toContain('codex: enabled\n  host: ~/.codex/auth.json found, ~/.codex/config.toml missing');
    expect(human.stdout).toContain('gemini: disabled');
    rmSync(home, { recursive: true, force: true });
  });
});

describe('cac agents cache (no engine)', () => {
  function withConfig(toml: string) {
    const { home, env } = tempHome();
    mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'));
    writeFileSync(join(env.XDG_CONFIG_HOME, 'cac/config.toml'), toml);
    return { home, env: { ...env, XDG_CACHE_HOME: join(home, 'cache') } };
  }

  it('bad input exits 2 naming the field: --image, a non-npm --agent, [agents.<kind>] version', async () => {
    const { home, env } = withConfig('[agents]\nenabled = true\n');
    const image = await runInProcess(['agents', 'cache', 'warm', '--image', 'node 20', '--json'], env);
    expect(image.exitCode).toBe(2);
    expect(JSON.parse(image.stdout)).toMatchObject({ outcome: 'error', code: 'ERR_USAGE', message: '--image: not an image reference: "node 20"' });
    const cursor = await runInProcess(['agents', 'cache', 'warm', '--agent', 'cursor'], env);
    expect(cursor.exitCode).toBe(2);
    expect(cursor.stderr).toContain('--agent cursor: not cached by cac (not an npm-installed agent, or install_command is set)');
    writeFileSync(join(env.XDG_CONFIG_HOME, 'cac/config.toml'), '[agents.codex]\nversion = "newest"\n');
    const version = await runInProcess(['agents', 'cache', 'list'], env);
    expect(version.exitCode).toBe(2);
    expect(version.stderr).toContain('agents.codex.version: expected "latest" or an exact version like "0.171.0"');
    rmSync(home, { recursive: true, force: true });
  });

  it('list and prune: entries with the pinned version marked, human lines on stderr, --json alone on stdout', async () => {
    const { home, env } = withConfig('[agents.codex]\nversion = "0.2.0"\n');
    for (const [kind, version, platform] of [
      ['codex', '0.2.0', 'x86_64-gnu'],
      ['codex', '0.1.0', 'aarch64-musl'],
      ['gemini', '0.61.0', 'x86_64-gnu'],
      ['codex', 'not-a-version', 'x86_64-gnu'],
    ]) {
      mkdirSync(join(home, 'cache/cac/agents', kind ?? '', version ?? ''), { recursive: true });
      writeFileSync(join(home, 'cache/cac/agents', kind ?? '', version ?? '', `${platform}.tar`), 'x'.repeat(1024));
    }
    const list = await runInProcess(['agents', 'cache', 'list', '--json'], env);
    expect(list.exitCode).toBe(0);
    const doc = JSON.parse(list.stdout);
    expect(doc.entries.map((e: { agent: string; version: string; platform: string; pinned: boolean }) => [e.agent, e.version, e.platform, e.pinned])).toEqual([
      ['codex', '0.1.0', 'aarch64-musl', false],
      ['codex', '0.2.0', 'x86_64-gnu', true],
      ['gemini', '0.61.0', 'x86_64-gnu', true],
    ]);
    const human = await runInProcess(['agents', 'cache', 'list'], env);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('codex 0.2.0 x86_64-gnu 0.0 MB stored');
    const pruned = await runInProcess(['agents', 'cache', 'prune', '--json'], env);
    expect(JSON.parse(pruned.stdout)).toMatchObject({ outcome: 'success', removed: [{ agent: 'codex', version: '0.1.0' }], kept: 2, freedBytes: 1024 });
    const all = await runInProcess(['agents', 'cache', 'prune', '--all', '--json'], env);
    expect(JSON.parse(all.stdout)).toMatchObject({ removed: [{ version: '0.2.0' }, { version: '0.61.0' }], kept: 0 });
    rmSync(home, { recursive: true, force: true });
  });
});
