// Agent injection through the built bin/cac on the real dockerd, with a non-root remoteUser (dev):
// a temp host home holding claude material and a custom host dir (`host_config_path`, outside the
// home) holding codex material, with canary secrets; a real `npm i -g @openai/codex` (the container
// reaches the npm registry through the image's CA fix).
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, engineEnv, infra } from '../helpers/infra.js';
import { runBin, type CliResult } from '../helpers/run-cli.js';

const CANARY = `CANARY-${randomBytes(8).toString('hex')}`;
const root = mkdtempSync(join(tmpdir(), 'cac-e2e-agents-'));
const home = join(root, 'home');
// codex's material comes from a custom host dir: its modes in the container must not depend on that
const codexDir = join(root, 'codex-custom');
const ws = join(root, 'ws');
const remoteWs = `/workspaces/${basename(ws)}`;
const stateDir = join(root, 'state');
const env = {
  ...engineEnv(),
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_STATE_HOME: stateDir,
  OPENAI_API_KEY: `${CANARY}-env`,
};
const outputs: CliResult[] = [];

async function cac(...args: string[]): Promise<CliResult> {
  const r = await runBin(args, { env, timeoutMs: 400_000 });
  outputs.push(r);
  return r;
}

const docker = (...args: string[]) => execFileSync('docker', args, { env: engineEnv(), encoding: 'utf8' }).trim();
const containerId = () => docker('ps', '-q', '--filter', `label=devcontainer.local_folder=${ws}`);
const inContainer = (script: string) => docker('exec', '-u', 'dev', containerId(), 'bash', '-lc', script);

function put(path: string, text: string, mode = 0o644): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describeWith(['docker'], 'agents: injection, doctor, sync, sync-back (bin/cac, real dockerd, remoteUser dev)', () => {
  beforeAll(() => {
    // the claude CLI is "installed" by the image's lifecycle (a stub in ~/.local/bin); codex is not
    const stub = "mkdir -p ~/.local/bin && printf '#!/bin/sh\\necho 2.0.0 (Claude Code stub)\\n' > ~/.local/bin/claude && chmod +x ~/.local/bin/claude";
    put(join(ws, '.devcontainer/devcontainer.json'), JSON.stringify({ image: infra.CAC_TEST_BASE_IMAGE ?? 'cac-test/base:bookworm', remoteUser: 'dev', postCreateCommand: stub }));
    execFileSync('chown', ['-R', '1000:1000', ws]);
    put(join(codexDir, 'auth.json'), JSON.stringify({ tokens: { refresh_token: `${CANARY}-codex` } }), 0o644);
    put(join(codexDir, 'config.toml'), `model = "o3"\n\n[projects."${ws}"]\ntrust_level = "trusted"\n`);
    put(join(codexDir, 'sessions/2026/rollout.jsonl'), 'a cache that must not be copied');
    put(join(home, '.claude/.credentials.json'), JSON.stringify({ claudeAiOauth: { refreshToken: `${CANARY}-claude` } }), 0o600);
    put(join(home, '.claude/settings.json'), '{"theme":"dark"}\n');
    put(join(home, '.claude/projects/p/session.jsonl'), 'cache');
    put(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [ws]: { allowedTools: [] } } }), 0o600);
    put(
      join(home, '.config/cac/config.toml'),
      [
        '[agents]',
        'enabled = true',
        '[agents.codex]',
        'enabled = true',
        'env_forward = ["OPENAI_API_KEY"]',
        `host_config_path = [${JSON.stringify(codexDir)}]`,
        '[agents.claude]',
        'enabled = true',
        'install = false',
        '[agents.cursor]',
        'enabled = true',
      ].join('\n'),
    );
    chownSync(home, 0, 0);
  });

  afterAll(() => {
    // by label, even when a test failed; only the containers of this file's workspace
    const ids = docker('ps', '-aq', '--filter', `label=devcontainer.local_folder=${ws}`).split('\n').filter(Boolean);
    if (ids.length) docker('rm', '-f', '-v', ...ids);
    rmSync(root, { recursive: true, force: true });
  });

  it('up injects: files owned by dev with the right modes (a custom host dir too), paths rewritten, codex really installed, cursor a warning, exit 0', async () => {
    const r = await cac('up', ws);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines).toContain('Injecting agents: codex, claude, cursor');
    expect(lines).toContain('codex: ok (copied 2 files, installed)');
    expect(lines).toContain('claude: ok (copied 3 files)');
    expect(lines).toContain('cursor: warning: host config ~/.cursor not found');
    expect(lines).toContain("Agent injection completed with 1 warning(s). Run 'cac agents doctor' for details.");
    const stat = inContainer('cd ~ && stat -c "%U:%G %a %n" .codex .codex/auth.json .codex/config.toml .claude .claude/.credentials.json .claude/settings.json .claude.json .cac .cac/agents.env');
    expect(stat.split('\n')).toEqual([
      'dev:dev 700 .codex',
      'dev:dev 600 .codex/auth.json',
      'dev:dev 644 .codex/config.toml',
      'dev:dev 700 .claude',
      'dev:dev 600 .claude/.credentials.json',
      'dev:dev 644 .claude/settings.json',
      'dev:dev 600 .claude.json',
      'dev:dev 700 .cac',
      'dev:dev 600 .cac/agents.env',
    ]);
    expect(inContainer('cat ~/.codex/config.toml')).toContain(`[projects."${remoteWs}"]`);
    expect(Object.keys(JSON.parse(inContainer('cat ~/.claude.json')).projects)).toEqual([remoteWs]);
    expect(inContainer('ls ~/.codex ~/.claude')).not.toMatch(/sessions|projects/);
    // installed under ~/.local (npm -g as dev is refused), on PATH for login shells, env forwarded
    expect(inContainer('command -v codex')).toBe('/home/dev/.local/bin/codex');
    expect(inContainer('codex --version')).toMatch(/^codex-cli \d/);
    expect(inContainer('printf %s "$OPENAI_API_KEY"')).toBe(`${CANARY}-env`);
    expect(inContainer('grep -c "cac agents env" ~/.profile')).toBe('1');
  });

  it('agents doctor: host and container checks, env names only, exit 0', async () => {
    const r = await cac('agents', 'doctor', ws, '--json');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(r.stdout);
    const codex = doc.agents.find((a: { agent: string }) => a.agent === 'codex');
    expect(codex.container.binary).toBe('/home/dev/.local/bin/codex');
    expect(codex.container.version).toMatch(/^codex-cli/);
    expect(codex.host.env).toEqual([{ name: 'OPENAI_API_KEY', set: true }]);
    expect(doc.agents.map((a: { agent: string }) => a.agent)).toEqual(['codex', 'claude', 'cursor', 'gemini']);
    const human = await cac('agents', 'doctor', ws);
    expect(human.stdout).toContain('cursor: enabled');
    expect(human.stdout).toContain('warning: host config ~/.cursor not found');
  });

  it('agents sync: exit 3 with a warning, 0 for agents that are fine', async () => {
    expect((await cac('agents', 'sync', ws)).exitCode).toBe(3);
    const ok = await cac('agents', 'sync', ws, '--agent', 'codex', '--agent', 'claude', '--json');
    expect(ok.exitCode).toBe(0);
    expect(JSON.parse(ok.stdout).agents.map((a: { status: string }) => a.status)).toEqual(['ok', 'ok']);
  });

  it('re-injection (up on a running container) never overwrites a token the agent refreshed; it flows back', async () => {
    inContainer(`printf %s '{"tokens":{"refresh_token":"${CANARY}-refreshed"}}' > ~/.codex/auth.json`);
    const r = await cac('up', ws);
    expect(r.exitCode).toBe(0);
    expect(r.stderr.split('\n')).toContain('codex: ok (copied 1 file)');
    expect(inContainer('cat ~/.codex/auth.json')).toBe(`{"tokens":{"refresh_token":"${CANARY}-refreshed"}}`);
    expect(readFileSync(join(codexDir, 'auth.json'), 'utf8')).toBe(`{"tokens":{"refresh_token":"${CANARY}-refreshed"}}`);
  });

  it('sync-back: both sides changed → warning, host kept; a container-only refresh flows back on stop', async () => {
    const claudeHost = join(home, '.claude/.credentials.json');
    inContainer(`printf %s '{"claudeAiOauth":{"refreshToken":"${CANARY}-container"}}' > ~/.claude/.credentials.json`);
    writeFileSync(claudeHost, '{"claudeAiOauth":{"refreshToken":"host-refreshed"}}');
    const pull = await cac('agents', 'pull', ws);
    expect(pull.exitCode).toBe(3);
    expect(pull.stderr).toContain('warning: claude: ~/.claude/.credentials.json changed on the host and in the container; kept the host file');
    expect(readFileSync(claudeHost, 'utf8')).toBe('{"claudeAiOauth":{"refreshToken":"host-refreshed"}}');

    inContainer(`printf %s '{"tokens":{"refresh_token":"${CANARY}-rotated"}}' > ~/.codex/auth.json`);
    const stop = await cac('stop', ws);
    expect(stop.exitCode).toBe(0);
    const auth = join(codexDir, 'auth.json');
    expect(readFileSync(auth, 'utf8')).toBe(`{"tokens":{"refresh_token":"${CANARY}-rotated"}}`);
    expect(statSync(auth).mode & 0o777).toBe(0o600);
  });

  it('rebuild re-copies: a changed host file and the refreshed token arrive in the new container', async () => {
    writeFileSync(join(home, '.claude/settings.json'), '{"theme":"light"}\n');
    const r = await cac('rebuild', ws);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Injecting agents: codex, claude, cursor');
    // a dev container never fills the cache (it is untrusted): codex came from the registry again
    expect(r.stderr.split('\n')).toContain('codex: ok (copied 2 files, installed)');
    expect(r.stderr).toContain("codex 0.171.0 (x86_64-gnu) is not cached: installing from the registry (cache it with 'cac agents cache warm')");
    expect(inContainer('cat ~/.claude/settings.json')).toBe('{"theme":"light"}');
    expect(inContainer('cat ~/.codex/auth.json')).toBe(`{"tokens":{"refresh_token":"${CANARY}-rotated"}}`);
    expect(inContainer('codex --version')).toMatch(/^codex-cli \d/);
  });

  it('links planted in the home (~/.cac, ~/.codex, ~/.profile -> outside) are refused: warnings, nothing written through them', async () => {
    inContainer(
      [
        'rm -rf ~/.cac ~/.codex ~/.profile /tmp/elsewhere /tmp/codex-elsewhere',
        'mkdir /tmp/elsewhere /tmp/codex-elsewhere',
        "printf '# not ours\\n' > /tmp/profile-elsewhere",
        'ln -s /tmp/elsewhere ~/.cac && ln -s /tmp/codex-elsewhere ~/.codex && ln -s /tmp/profile-elsewhere ~/.profile',
      ].join(' && '),
    );
    const r = await cac('agents', 'sync', ws, '--agent', 'codex', '--agent', 'claude', '--json');
    expect(r.exitCode, r.stderr).toBe(3);
    const [codex, claude] = JSON.parse(r.stdout).agents;
    const why = 'not written (a symbolic link in the container leads outside the home)';
    expect(codex).toMatchObject({ status: 'warning', copied: [] });
    expect(codex.warnings).toEqual([`${why}: ~/.cac/agents.env`, `${why}: ~/.codex/auth.json, ~/.codex/config.toml`]);
    expect(claude).toMatchObject({ status: 'ok' });
    expect(inContainer('ls -A /tmp/elsewhere /tmp/codex-elsewhere; cat /tmp/profile-elsewhere')).toBe('/tmp/codex-elsewhere:\n\n/tmp/elsewhere:\n# not ours');
    expect(inContainer('cd ~ && stat -c "%F %n" .cac .codex .profile')).toBe(['symbolic link .cac', 'symbolic link .codex', 'symbolic link .profile'].join('\n'));

    // a credential the container turned into a link is never read back
    inContainer('ln -sf /etc/hostname ~/.claude/.credentials.json');
    const pull = await cac('agents', 'pull', ws);
    expect(pull.exitCode).toBe(3);
    expect(pull.stderr).toContain('warning: claude: ~/.claude/.credentials.json not taken from the container (its copy is a symbolic link); kept the host file');
    expect(readFileSync(join(home, '.claude/.credentials.json'), 'utf8')).toBe('{"claudeAiOauth":{"refreshToken":"host-refreshed"}}');
  });

  it('--no-agents skips injection; down still succeeds', async () => {
    const r = await cac('up', ws, '--no-agents', '--json');
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).agents).toEqual([]);
    expect((await cac('down', ws)).exitCode).toBe(0);
    expect(containerId()).toBe('');
    const none = await cac('agents', 'sync', ws);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('error: no running dev container');
    expect((await cac('agents', 'doctor', ws)).exitCode).toBe(0);
  });

  it("no canary ever appears in cac's stdout/stderr or in its state dir (logs, records)", () => {
    expect(outputs.length).toBeGreaterThan(8);
    for (const o of outputs) {
      expect(o.stdout).not.toContain(CANARY);
      expect(o.stderr).not.toContain(CANARY);
    }
    const files = filesUnder(stateDir);
    expect(files.some((f) => f.includes('/logs/'))).toBe(true);
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(CANARY);
    expect(statSync(join(stateDir, 'cac/agents')).mode & 0o777).toBe(0o700);
  });
});
