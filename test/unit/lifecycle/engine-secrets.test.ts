// The devcontainer engine and secrets: what the CLI is given, what reaches its log, errors and the
// verbose stream, and how `exec` carries the user's login environment (forwarded agent credentials
// included) without a value ever on a command line.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execCall, execSettings, loginExecCall, parseProbe, probeCommand } from '../../../src/adapters/engine/container-exec.js';
import { AGENTS_ENV_FILE, finishScript } from '../../../src/core/agents/finish-script.js';
import { localEngine, localEnvPlan } from '../../../src/app/engine.js';
import type { Config } from '../../../src/config/schema.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { isCacError } from '../../../src/errors.js';
import type { EngineEvent } from '../../../src/ports/engine.js';
import type { ExecOptions, ExecResult, Host } from '../../../src/ports/host.js';
import { localChildEnv } from '../../../src/util/child-env.js';

const CANARY = 'canary-5be01f7c93aa';
const MASTER = `${CANARY}-master`;
const FORWARDED = `${CANARY}-fwd 'q' "$(x)" \`y\``;
const PLAIN = `${CANARY}-plain`;
const ENV = { PATH: '/usr/bin:/bin', HOME: '/home/me', CAC_MASTER_KEY: `${MASTER},other-old-key-1`, OPENAI_API_KEY: FORWARDED, MY_PLAIN: PLAIN };
const WS = { folder: '/w/app', configFile: '/w/app/.devcontainer/devcontainer.json' };
const ID = `${'c0ffee'.repeat(10)}abcd`;

function config(): Config {
  const c = defaultConfig();
  return { ...c, agents: { ...c.agents, enabled: true, codex: { ...c.agents.codex, enabled: true, env_forward: ['OPENAI_API_KEY'] } } };
}

/** A Host that answers each program the engine runs from a script, and records every call. */
class ScriptedHost implements Host {
  readonly kind = 'local' as const;
  calls: Array<{ argv: readonly string[]; opts: ExecOptions }> = [];
  constructor(private readonly answer: (argv: readonly string[], opts: ExecOptions) => ExecResult) {}
  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push({ argv, opts });
    return this.answer(argv, opts);
  }
  async putFiles(): Promise<void> {}
}

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
const inspectJson = JSON.stringify([{ Id: ID, Created: '2026-01-01T00:00:00Z', State: { Status: 'running', Running: true }, Config: { Image: 'img', Labels: {} } }]);

describe('devcontainer up and secrets', () => {
  it('the CLI never gets the master key or a forwarded credential; a failure quoting them is redacted in the error, the log and -v', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cac-state-'));
    // a hostile devcontainer.json put them on `docker run -e` (as the CLI would if they were in its environment)
    const stderr = [
      JSON.stringify({ type: 'start', level: 2, text: `Run: docker run -e X=${MASTER} -e Y=${FORWARDED} -e Z=${PLAIN} img` }),
      JSON.stringify({ type: 'text', level: 2, text: `Error: failed with ${MASTER} / ${PLAIN}` }),
    ].join('\n');
    const host = new ScriptedHost(() => ({ exitCode: 1, stdout: JSON.stringify({ outcome: 'error', message: `boom ${MASTER}`, description: `An error occurred ${FORWARDED}` }), stderr }));
    const events: EngineEvent[] = [];
    const plan = localEnvPlan(config(), ENV, ['MY_PLAIN', 'CAC_MASTER_KEY', 'OPENAI_API_KEY'], localChildEnv(ENV));
    const engine = localEngine(config(), host, ENV, stateDir, plan);
    // the host streams stderr through onStderr in real life: replay it
    const realExec = host.exec.bind(host);
    host.exec = async (argv, opts = {}) => {
      const r = await realExec(argv, opts);
      opts.onStderr?.(`${r.stderr}\n`);
      return r;
    };
    const e = await engine.up(WS, { onEvent: (ev) => events.push(ev) }).then(
      () => undefined,
      (x: unknown) => x,
    );
    if (!isCacError(e)) throw new Error(`expected a CacError, got ${String(e)}`);
    const call = host.calls[0];
    expect(call?.argv.slice(2, 3)).toEqual(['up']);
    // what the CLI gets on top of the host's allow-list: the engine and the plain localEnv value only
    expect(call?.opts.env).toEqual({ MY_PLAIN: PLAIN });
    const logs = readdirSync(join(stateDir, 'logs')).map((f) => readFileSync(join(stateDir, 'logs', f), 'utf8'));
    expect(logs).toHaveLength(1);
    const seen = [e.message, e.hint ?? '', JSON.stringify(e.details ?? {}), ...logs, ...events.map((ev) => JSON.stringify(ev))].join('\n');
    expect(seen).toContain('***');
    expect(seen).not.toContain(CANARY);
  });
});

describe('exec: the login environment travels off argv', () => {
  const probed = `motd noise\n${'MARK'}PATH=/home/dev/.local/bin:/usr/bin\0HOME=/home/dev\0OPENAI_API_KEY=${FORWARDED}\0PWD=/\0BASH_FUNC_f%%=() { :; }\0${'MARK'}`;

  function scripted(): ScriptedHost {
    return new ScriptedHost((argv) => {
      const a = argv.join(' ');
      if (a.startsWith('docker ps')) return ok(`${ID}\n`);
      if (a.startsWith('docker inspect')) return ok(inspectJson);
      if (argv.includes('read-configuration')) {
        return ok(`${JSON.stringify({ workspace: { workspaceFolder: '/workspaces/app' }, mergedConfiguration: { remoteUser: 'dev', remoteEnv: { PLAIN_R: PLAIN, N: null } } })}\n`);
      }
      if (argv.includes('loginInteractiveShell')) return ok(probed.replaceAll('MARK', argv.at(-1) ?? ''));
      return { exitCode: 7, stdout: 'ran', stderr: '' };
    });
  }

  it('probes, reads the configuration, and runs docker exec with -e transport names only; values in the client env', async () => {
    const host = scripted();
    const engine = localEngine(config(), host, ENV, mkdtempSync(join(tmpdir(), 'cac-state-')));
    const r = await engine.exec(WS, ['codex', '--version'], { inherit: true, tty: true });
    expect(r.exitCode).toBe(7);
    for (const c of host.calls) expect(c.argv.join('\0'), c.argv.join(' ')).not.toContain(CANARY);
    const run = host.calls.at(-1);
    expect(run?.argv.slice(0, 6)).toEqual(['docker', 'exec', '-i', '-t', '-u', 'dev']);
    expect(run?.argv).toContain('/workspaces/app');
    expect(run?.argv).toEqual(expect.arrayContaining(['-e', 'CAC_X_OPENAI_API_KEY', '-e', 'CAC_X_PLAIN_R', ID, '/bin/sh', '-c']));
    expect(run?.argv.slice(-3)).toEqual(['sh', 'codex', '--version']);
    expect(run?.opts.env).toMatchObject({ CAC_X_OPENAI_API_KEY: FORWARDED, CAC_X_PLAIN_R: PLAIN, CAC_X_HOME: '/home/dev' });
    expect(run?.opts.env).not.toHaveProperty('CAC_X_PWD');
    expect(run?.opts.inherit).toBe(true);
  });

  it('the prelude restores every value byte for byte in a real sh and leaves no transport variable behind', () => {
    const values = { OPENAI_API_KEY: FORWARDED, MULTI: 'a\nb\n\n', EMPTY: '', PATH: '/usr/bin:/bin', 'BAD-NAME': 'x' };
    const call = execCall({ docker: 'docker', containerId: ID, command: ['env', '-0'], env: values, stdin: false, tty: false });
    expect(call.dropped).toEqual(['BAD-NAME']);
    expect(call.argv.join('\0')).not.toContain(CANARY);
    const sh = call.argv.slice(call.argv.indexOf('/bin/sh'));
    const out = execFileSync(sh[0] ?? '', sh.slice(1), { env: call.env, encoding: 'utf8' });
    const seen = Object.fromEntries(
      out
        .split('\0')
        .filter(Boolean)
        .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
    );
    expect(seen).toMatchObject({ OPENAI_API_KEY: FORWARDED, MULTI: 'a\nb\n\n', EMPTY: '', PATH: '/usr/bin:/bin' });
    expect(Object.keys(seen).filter((k) => k.startsWith('CAC_X_'))).toEqual([]);
  });

  it('probe output and configuration parsing', () => {
    expect(probeCommand('none')).toBeUndefined();
    const p = probeCommand('loginShell', 'M1');
    expect(p?.argv.slice(-2)).toEqual(['loginShell', 'M1']);
    expect(parseProbe('x M1A=1\0B=2=3\0PWD=/\0M1 y', 'M1')).toEqual({ A: '1', B: '2=3' });
    expect(parseProbe('no marks', 'M1')).toEqual({});
    expect(execSettings('log\n{"workspace":{"workspaceFolder":"/w"},"mergedConfiguration":{"userEnvProbe":"none","remoteEnv":{"A":"1","B":null}}}\n')).toEqual({
      folder: '/w',
      remoteEnv: { A: '1' },
      probe: 'none',
    });
    expect(execSettings('not json')).toBeUndefined();
  });
});

describe('forwarded agent variables and environment probes', () => {
  /** A home where injection's finishing step wrote the agent env file and the guarded profile line. */
  function injectedHome(): string {
    const home = mkdtempSync(join(tmpdir(), 'cac-home-'));
    writeFileSync(join(home, '.profile'), "# the image's profile\n");
    const script = finishScript(home, { env: 'write', names: ['OPENAI_API_KEY'], claudeOnboarding: false });
    expect(execFileSync('sh', ['-c', script], { env: { PATH: '/usr/bin:/bin', OPENAI_API_KEY: FORWARDED }, encoding: 'utf8' })).toBe('finish\t0\n');
    return home;
  }
  const shell = (home: string, flags: string) =>
    execFileSync('sh', [flags, 'printf "[%s]" "$OPENAI_API_KEY"'], { env: { HOME: home, PATH: '/usr/bin:/bin' }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });

  it("a login shell gets them; the devcontainer CLI's probe (an interactive shell without a terminal) does not", () => {
    const home = injectedHome();
    expect(shell(home, '-lc')).toBe(`[${FORWARDED}]`);
    // what the CLI runs for userEnvProbe loginInteractiveShell / interactiveShell, stdin a pipe: it would
    // put every probed value on the `docker exec -e NAME=value` of each lifecycle hook
    expect(shell(home, '-lic')).toBe('[]');
    expect(shell(home, '-ic')).toBe('[]');
  });

  it("cac exec's prelude sources the agent env file itself: values never leave the container", () => {
    const home = injectedHome();
    const call = execCall({
      docker: 'docker',
      containerId: ID,
      command: ['sh', '-c', 'printf "[%s]" "$OPENAI_API_KEY"'],
      env: { HOME: home },
      stdin: false,
      tty: false,
      sourceFiles: [AGENTS_ENV_FILE],
    });
    const sh = call.argv.slice(call.argv.indexOf('/bin/sh'));
    expect(execFileSync(sh[0] ?? '', sh.slice(1), { env: { ...call.env, PATH: '/usr/bin:/bin' }, encoding: 'utf8' })).toBe(`[${FORWARDED}]`);
    expect(call.argv.join('\0')).not.toContain(CANARY);
    const none = mkdtempSync(join(tmpdir(), 'cac-home-'));
    mkdirSync(join(none, '.cac'));
    const bare = execCall({ docker: 'docker', containerId: ID, command: ['true'], env: { HOME: none }, stdin: false, tty: false, sourceFiles: [AGENTS_ENV_FILE] });
    const sh2 = bare.argv.slice(bare.argv.indexOf('/bin/sh'));
    expect(() => execFileSync(sh2[0] ?? '', sh2.slice(1), { env: { ...bare.env, PATH: '/usr/bin:/bin' } })).not.toThrow();
  });
  it("box exec's one docker exec: the user's login shell (its profile) around the command, the agent env sourced, nothing forwarded on argv", () => {
    const home = injectedHome();
    writeFileSync(join(home, '.profile'), 'FROM_PROFILE=yes; export FROM_PROFILE\n', { flag: 'a' });
    const call = loginExecCall({
      docker: 'docker',
      containerId: ID,
      command: ['sh', '-c', 'printf "[%s|%s|%s]" "$FROM_PROFILE" "$OPENAI_API_KEY" "$1"', 'sh', 'an arg with spaces'],
      user: 'dev',
      folder: '/workspaces/app',
      stdin: true,
      tty: false,
      sourceFiles: [AGENTS_ENV_FILE],
    });
    expect(call.argv.slice(0, 8)).toEqual(['docker', 'exec', '-i', '-u', 'dev', '-w', '/workspaces/app', ID]);
    expect(call.argv).not.toContain('-e');
    expect(call.env).toEqual({});
    const sh = call.argv.slice(call.argv.indexOf('/bin/sh'));
    const out = execFileSync(sh[0] ?? '', sh.slice(1), { env: { HOME: home, SHELL: '/bin/sh', PATH: '/usr/bin:/bin' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(out).toBe(`[yes|${FORWARDED}|an arg with spaces]`);
  });
});
