// Injection against our own recording fake of the docker client host (through the real ContainerHost).
import { describe, expect, it } from 'vitest';
import { inject } from '../../../src/core/agents/inject.js';
import { recordPath } from '../../../src/core/agents/record.js';
import { isNpmGlobal } from '../../../src/core/agents/install.js';
import { config, FakeDocker, HOME, makeDeps, MemFiles, target } from '../../fakes/agents.js';

const CANARY = 'CANARY-7f3a9-secret';

function allFour() {
  const files = new MemFiles({
    [`${HOME}/.codex/auth.json`]: `{"OPENAI_API_KEY":"${CANARY}-codex"}`,
    [`${HOME}/.codex/config.toml`]: '[projects."/src/app"]\ntrust_level = "trusted"\n',
    [`${HOME}/.claude/.credentials.json`]: `{"claudeAiOauth":{"refreshToken":"${CANARY}-claude"}}`,
    [`${HOME}/.claude.json`]: '{"projects":{"/src/app":{}}}',
    [`${HOME}/.gemini/oauth_creds.json`]: `{"refresh_token":"${CANARY}-gemini"}`,
  });
  const agents = config(
    {},
    {
      codex: { enabled: true, env_forward: ['OPENAI_API_KEY'] },
      claude: { enabled: true },
      cursor: { enabled: true, env_forward: ['CURSOR_API_KEY'] },
      gemini: { enabled: true },
    },
  );
  const docker = new FakeDocker();
  docker.bins = { codex: '/usr/bin/codex', claude: '/usr/bin/claude', cursor: '/usr/bin/cursor-agent', gemini: '/usr/bin/gemini' };
  const env = { OPENAI_API_KEY: `${CANARY}-env`, CURSOR_API_KEY: `${CANARY}-cursor-env` };
  return { files, agents, docker, env, ...makeDeps({ agents, files, docker, env }) };
}

describe('inject', () => {
  it('four agents with binaries present: ONE container exec (discover, tar on stdin, finish), all ok', async () => {
    const { deps, docker, lines } = allFour();
    const results = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject']);
    expect(docker.calls[0]?.argv.slice(0, 10)).toEqual(['docker', 'exec', '-i', '-u', 'dev', '-e', 'OPENAI_API_KEY', '-e', 'CURSOR_API_KEY', 'c0ffee']);
    expect(results.map((r) => [r.agent, r.status, r.validated, r.copied.length, r.installed])).toEqual([
      ['codex', 'ok', true, 2, false],
      ['claude', 'ok', true, 2, false],
      ['cursor', 'ok', true, 0, false],
      ['gemini', 'ok', true, 1, false],
    ]);
    expect(lines()).toEqual([
      'Injecting agents: codex, claude, cursor, gemini',
      'codex: ok (copied 2 files)',
      'claude: ok (copied 2 files)',
      'cursor: ok (copied 0 files)',
      'gemini: ok (copied 1 file)',
    ]);
  });

  it('no secret value ever reaches an argv or a reporter line; values travel in the exec env only', async () => {
    const { deps, docker, events } = allFour();
    await inject(deps, target, { event: 'start' });
    // again, into the same container (guards), with an install that falls back to ~/.local (refinish)
    delete docker.bins.codex;
    docker.installs.codex = [{ exitCode: 243, stdout: `npm error code EACCES ${CANARY}-env`, stderr: '' }];
    await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'inject', 'install', 'install', 'finish']);
    for (const c of docker.calls) expect(c.argv.join('\n')).not.toContain(CANARY);
    expect(JSON.stringify(events)).not.toContain(CANARY);
    const exec = docker.of('inject')[0];
    expect(exec?.argv).toEqual(expect.arrayContaining(['-e', 'OPENAI_API_KEY', '-e', 'CURSOR_API_KEY']));
    expect(exec?.env).toMatchObject({ OPENAI_API_KEY: `${CANARY}-env`, CURSOR_API_KEY: `${CANARY}-cursor-env`, DOCKER_HOST: 'unix:///fake.sock' });
    // the container got the files over the tar stream (in the discovered home), workspace paths rewritten
    expect(docker.containerFiles.get('/home/dev/.codex/auth.json')).toMatchObject({ mode: 0o600 });
    expect(docker.containerFiles.get('/home/dev/.codex/config.toml')?.data?.toString()).toContain('[projects."/workspaces/app"]');
    expect(JSON.parse(docker.containerFiles.get('/home/dev/.claude.json')?.data?.toString() ?? '{}').projects).toEqual({ '/workspaces/app': {} });
  });

  it('records credential hashes for sync-back (0600, hashes only)', async () => {
    const { deps, files } = allFour();
    await inject(deps, target, { event: 'start' });
    const path = recordPath('/state/cac', '/src/app');
    const rec = JSON.parse(files.text(path) ?? '{}');
    expect(files.files.get(path)?.mode).toBe(0o600);
    expect(rec).toMatchObject({ containerId: 'c0ffee', remoteWorkspaceFolder: '/workspaces/app', home: '/home/dev' });
    expect(rec.files.map((f: { container: string }) => f.container)).toEqual(['/home/dev/.codex/auth.json', '/home/dev/.claude/.credentials.json', '/home/dev/.gemini/oauth_creds.json']);
    expect(files.text(path)).not.toContain(CANARY);
  });

  it('disabled agents make no calls; so does a lifecycle event that is switched off', async () => {
    const off = allFour();
    const docker = off.docker;
    const { deps } = makeDeps({ agents: { ...off.agents, enabled: false }, files: off.files, docker });
    expect(await inject(deps, target, { event: 'start' })).toEqual([]);
    expect(docker.calls).toEqual([]);
    const gated = makeDeps({ agents: { ...off.agents, on_rebuild: false }, files: off.files, docker: off.docker });
    const results = await inject(gated.deps, target, { event: 'rebuild' });
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(gated.lines()).toEqual(['Agent injection skipped (on_rebuild = false)']);
    expect(docker.calls).toEqual([]);
  });

  it('only the enabled agents run; --agent picks agents even when disabled in config', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const docker = new FakeDocker();
    docker.bins = { codex: '/bin/codex', gemini: '/bin/gemini' };
    const { deps } = makeDeps({ agents: config({}, { codex: { enabled: true } }), files, docker });
    expect((await inject(deps, target, { event: 'start' })).map((r) => r.agent)).toEqual(['codex']);
    expect((await inject(deps, target, { only: ['gemini'] })).map((r) => r.agent)).toEqual(['gemini']);
  });

  it('a binary present skips install; a missing one is installed as the user with the forwarded env', async () => {
    const { deps, docker, lines } = allFour();
    delete docker.bins.codex;
    const results = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'install']);
    const inst = docker.of('install')[0];
    expect(inst?.argv).toEqual(expect.arrayContaining(['-u', 'dev', '-e', 'OPENAI_API_KEY']));
    expect(inst?.argv.at(-1)).toContain('npm i -g @openai/codex');
    expect(results[0]).toMatchObject({ agent: 'codex', status: 'ok', installed: true });
    expect(lines()).toContain('codex: ok (copied 2 files, installed)');
  });

  it('npm refused for permissions → retried with --prefix ~/.local', async () => {
    const { deps, docker } = allFour();
    delete docker.bins.gemini;
    docker.installs.gemini = [{ exitCode: 243, stdout: '', stderr: 'npm error code EACCES\n' }];
    const results = await inject(deps, target, { event: 'start' });
    const installs = docker.of('install');
    expect(installs).toHaveLength(2);
    expect(installs[1]?.argv.at(-1)).toContain('npm i -g @google/gemini-cli@0.61.0 --prefix /home/dev/.local');
    expect(results[3]).toMatchObject({ agent: 'gemini', status: 'ok', installed: true });
    expect(isNpmGlobal('npm i -g x')).toBe(true);
    expect(isNpmGlobal('npm install --global x@1')).toBe(true);
    expect(isNpmGlobal('npm i x')).toBe(false);
    expect(isNpmGlobal('npm i -g x && rm -rf /')).toBe(false);
  });

  it('warnings are per agent, the next agent still runs, and the closing line counts them', async () => {
    const { deps, docker, files, env } = allFour();
    files.files.delete(`${HOME}/.gemini/oauth_creds.json`);
    delete docker.bins.claude;
    delete docker.bins.codex;
    docker.tools = {};
    const { deps: noInstallDeps, lines } = makeDeps({ agents: { ...deps.agents, claude: { ...deps.agents.claude, install: false } }, files, docker, env });
    const results = await inject(noInstallDeps, target, { event: 'start' });
    expect(results.map((r) => r.status)).toEqual(['warning', 'warning', 'ok', 'warning']);
    expect(results[0]?.warnings[0]).toMatch(/^cannot install: the container has no Node\.js\/npm/);
    expect(results[1]?.warnings).toEqual(['claude not found in the container (install = false)']);
    expect(results[3]?.warnings).toEqual(['host config ~/.gemini not found']);
    expect(lines().at(-1)).toBe("Agent injection completed with 3 warning(s). Run 'cac agents doctor' for details.");
    expect(docker.of('install')).toEqual([]);
  });

  it('a failed install: the last 10 lines, forwarded secret values redacted', async () => {
    const { deps, docker } = allFour();
    delete docker.bins.codex;
    docker.installs.codex = [{ exitCode: 1, stdout: Array.from({ length: 12 }, (_, i) => `out ${i + 1} ${CANARY}-env`).join('\n'), stderr: '' }];
    const [codex] = await inject(deps, target, { event: 'start' });
    expect(codex?.warnings[0]?.split('\n')).toEqual(['install failed (exit 1):', ...Array.from({ length: 10 }, (_, i) => `out ${i + 3} ***`)]);
  });

  it("tar's complaint about one file is that agent's warning only", async () => {
    const { deps, docker } = allFour();
    docker.tarStderr = 'tar: .codex/auth.json: Cannot open: Permission denied\ntar: Exiting with failure status due to previous errors\n';
    const results = await inject(deps, target, { event: 'start' });
    expect(results[0]).toMatchObject({ status: 'warning', warnings: ['could not write ~/.codex/auth.json in the container: Cannot open: Permission denied'] });
    expect(results[0]?.copied).toEqual(['/home/dev/.codex/config.toml']);
    expect(results[1]?.status).toBe('ok');
  });

  it('a container the user cannot exec into: every agent warns, nothing else runs', async () => {
    const { deps, docker } = allFour();
    docker.discoverExit = 126;
    const results = await inject(deps, target, { event: 'start' });
    expect(results.every((r) => r.status === 'warning')).toBe(true);
    expect(results[0]?.warnings).toEqual(['cannot inspect the container as dev: exit 126: unable to find user dev']);
    expect(docker.calls.map((c) => c.what)).toEqual(['inject']);
  });

  it('a failing finish script is a warning, not an error', async () => {
    const { deps, docker } = allFour();
    docker.finishExit = 1;
    const results = await inject(deps, target, { event: 'start' });
    expect(results[0]?.warnings).toEqual(['finishing in the container failed: mkdir: cannot create directory: Permission denied']);
  });

  it('nothing forwarded: only an existing env file is rewritten, and no -e on the command line', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const docker = new FakeDocker();
    docker.bins = { codex: '/usr/bin/codex' };
    const { deps } = makeDeps({ agents: config({}, { codex: { enabled: true } }), files, docker });
    await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject']);
    expect(docker.calls[0]?.argv).not.toContain('-e');
    expect(docker.calls[0]?.argv.at(-1)).toContain('if cac_inside "$h"/.cac/agents.env && [ -f "$h"/.cac/agents.env ]; then');
  });

  it('an install that fell back to ~/.local gets the PATH line written after it (one more exec)', async () => {
    const files = new MemFiles({ [`${HOME}/.codex/auth.json`]: '{}' });
    const docker = new FakeDocker();
    docker.installs.codex = [{ exitCode: 1, stdout: 'npm error code EACCES', stderr: '' }];
    const { deps } = makeDeps({ agents: config({}, { codex: { enabled: true } }), files, docker });
    const [codex] = await inject(deps, target, { event: 'start' });
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'install', 'install', 'finish']);
    expect(codex).toMatchObject({ status: 'ok', installed: true });
  });

  it('host_config_path = [] needs no material; with nothing to forward or install the agent is skipped', async () => {
    const docker = new FakeDocker();
    const agents = config({}, { codex: { enabled: true, host_config_path: [] }, gemini: { enabled: true, host_config_path: [], install: false } });
    const { deps } = makeDeps({ agents, files: new MemFiles(), docker });
    const results = await inject(deps, target, { event: 'start' });
    expect(results.map((r) => [r.agent, r.status, r.installed])).toEqual([
      ['codex', 'ok', true],
      ['gemini', 'skipped', false],
    ]);
    expect(docker.calls.map((c) => c.what)).toEqual(['inject', 'install']);
    expect(docker.calls[0]?.argv.at(-1)).not.toContain('cac_probe gemini');
  });

  it('an interrupt stops injection (it is not a warning)', async () => {
    const { deps } = allFour();
    const ac = new AbortController();
    ac.abort();
    await expect(inject(deps, target, { event: 'start', signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_INTERRUPTED' });
  });
});
