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
