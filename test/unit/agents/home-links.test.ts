// Symbolic links planted in the container user's home (by the image or an earlier run) never carry a
// write, or a read-back, outside the home. The real scripts run in a real `sh` over a temp home (with a
// hostile name); `id`/`getent`/agent CLIs are fake executables on PATH. inject() itself runs against a
// LocalHost standing in for the container, so the warnings are the ones a user sees.
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { silentReporter } from '../../../src/ports/reporter.js';
import { quote } from '../../../src/util/shell.js';
import { inject } from '../../../src/core/agents/inject.js';
import { syncBack, parseRead, readScript } from '../../../src/core/agents/sync-back.js';
import { injectScript, parseInjectOutput } from '../../../src/core/agents/inject-script.js';
import { finishScript } from '../../../src/core/agents/finish-script.js';
import { install } from '../../../src/core/agents/install.js';
import { effectiveAgent } from '../../../src/core/agents/effective-config.js';
import { sha256, type TarEntry } from '../../../src/core/agents/plan.js';
import { memberName, memberRoots, packEntries } from '../../../src/core/agents/tar.js';
import type { AgentDeps } from '../../../src/core/agents/deps.js';
import { config, HOME, MemFiles } from '../../fakes/agents.js';

const HOSTILE = `ho'me "$(touch PWNED)" $HOME;x`;
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function sandbox(): { root: string; home: string; bin: string; out: (name: string) => string } {
  const root = mkdtempSync(join(tmpdir(), 'cac-agent-links-'));
  roots.push(root);
  const home = join(root, HOSTILE);
  const bin = join(root, 'bin');
  mkdirSync(home, { recursive: true });
  mkdirSync(bin);
  exe(join(bin, 'id'), 'echo "uid=0(dev) gid=0(dev)"');
  exe(join(bin, 'getent'), `printf '%s\\n' ${quote(`dev:x:0:0::${home}:/bin/sh`)}`);
  exe(join(bin, 'codex'), 'echo codex 1');
  exe(join(bin, 'claude'), 'echo claude 1');
  // "outside the home": a dir of its own next to it
  const outside = join(root, 'outside');
  mkdirSync(outside);
  return { root, home, bin, out: (name) => join(outside, name) };
}

function exe(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

const isLink = (p: string) => lstatSync(p).isSymbolicLink();
const listing = (dir: string) => readdirSync(dir).sort();

async function runScript(root: string, bin: string, entries: TarEntry[], finish = { env: 'write' as const, names: ['TOKEN'], claudeOnboarding: true }) {
  const script = injectScript({ probes: [], copy: { absolute: false, roots: memberRoots(entries.map((e) => memberName(e.path))), guards: [] }, finish });
  const tar = Buffer.concat(await packEntries(entries).toArray());
  return parseInjectOutput(execFileSync('sh', ['-c', script], { input: tar, env: { PATH: `${bin}:/usr/bin:/bin`, TOKEN: 's3cret' }, cwd: root, encoding: 'utf8' }));
}

const file = (path: string, text: string, mode = 0o600): TarEntry => ({ path, mode, data: Buffer.from(text) });
const dir = (path: string, mode = 0o700): TarEntry => ({ path, mode });

describe('the injection script refuses every path a link leads out of the home', () => {
  it('~/.codex -> outside, ~/.config -> outside, ~/.cac -> outside, a dangling ~/.claude.json -> outside: nothing written there, the links left alone, each refusal reported', async () => {
    const { root, home, bin, out } = sandbox();
    for (const d of ['etc', 'config', 'elsewhere']) mkdirSync(out(d));
    symlinkSync(out('etc'), join(home, '.codex'));
    symlinkSync(out('config'), join(home, '.config'));
    symlinkSync(out('elsewhere'), join(home, '.cac'));
    symlinkSync(out('claude.json'), join(home, '.claude.json'));
    const entries = [dir('~/.codex'), dir('~/.config/cursor'), file('~/.codex/auth.json', '{"t":1}'), file('~/.config/cursor/auth.json', '{"c":1}')];
    const got = await runScript(root, bin, entries);
    expect(got).toMatchObject({ tarExit: 0, finishExit: 0 });
    expect(got.refused).toEqual([{ root: 0 }, { root: 1 }]);
    expect(got.refusedFiles).toEqual(['~/.cac/agents.env', '~/.claude.json']);
    for (const d of ['etc', 'config', 'elsewhere']) expect(listing(out(d))).toEqual([]);
    expect(existsSync(out('claude.json'))).toBe(false);
    for (const l of ['.codex', '.config', '.cac', '.claude.json']) expect(isLink(join(home, l))).toBe(true);
    // no profile line for an env file that was not written
    expect(existsSync(join(home, '.profile'))).toBe(false);
    expect(existsSync(join(root, 'PWNED'))).toBe(false);
  });

  it('a link deep in an agent dir: only what is under it is left out; ~/.profile -> outside is refused, links within the home are followed', async () => {
    const { root, home, bin, out } = sandbox();
    mkdirSync(out('prompts'));
    writeFileSync(out('profile'), '# outside\n');
    mkdirSync(join(home, '.codex'));
    symlinkSync(out('prompts'), join(home, '.codex/prompts'));
    symlinkSync(out('profile'), join(home, '.profile'));
    // a dotfile manager's links: inside the home, relative and absolute
    mkdirSync(join(home, 'dotfiles/cac'), { recursive: true });
    writeFileSync(join(home, 'dotfiles/bash_profile'), 'echo hi\n');
    symlinkSync('dotfiles/cac', join(home, '.cac'));
    symlinkSync(join(home, 'dotfiles/bash_profile'), join(home, '.bash_profile'));
    const entries = [dir('~/.codex'), dir('~/.codex/prompts', 0o755), file('~/.codex/auth.json', '{"t":1}'), file('~/.codex/prompts/p.md', 'p', 0o644)];
    const got = await runScript(root, bin, entries);
    expect(got).toMatchObject({ tarExit: 0, finishExit: 0, refused: [{ root: 0, under: '/prompts' }] });
    expect(listing(out('prompts'))).toEqual([]);
    expect(readFileSync(join(home, '.codex/auth.json'), 'utf8')).toBe('{"t":1}');
    expect(statSync(join(home, '.codex/auth.json')).mode & 0o777).toBe(0o600);
    expect(got.refusedFiles).toEqual(['~/.profile']);
    expect(readFileSync(out('profile'), 'utf8')).toBe('# outside\n');
    expect(statSync(join(home, 'dotfiles/cac/agents.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'dotfiles/cac')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(home, 'dotfiles/bash_profile'), 'utf8')).toContain('# cac agents env');
  });

  it('a home that is itself a link (to a dir elsewhere) is the home: nothing is refused', async () => {
    const { root, bin } = sandbox();
    const real = join(root, 'real home');
    mkdirSync(real);
    const home = join(root, 'home-link');
    symlinkSync(real, home);
    exe(join(bin, 'getent'), `printf '%s\\n' ${quote(`dev:x:0:0::${home}:/bin/sh`)}`);
    symlinkSync(join(real, 'dot-codex'), join(real, '.codex'));
    mkdirSync(join(real, 'dot-codex'));
    const got = await runScript(root, bin, [dir('~/.codex'), file('~/.codex/auth.json', '{"t":1}')]);
    expect(got).toMatchObject({ tarExit: 0, finishExit: 0, refused: [], refusedFiles: [] });
    expect(readFileSync(join(real, '.codex/auth.json'), 'utf8')).toBe('{"t":1}');
    expect(statSync(join(real, '.cac/agents.env')).mode & 0o777).toBe(0o600);
  });

  it('finishing alone (after an install) refuses the same way', () => {
    const { root, home, out } = sandbox();
    mkdirSync(out('elsewhere'));
    symlinkSync(out('elsewhere'), join(home, '.cac'));
    const stdout = execFileSync('sh', ['-c', finishScript(home, { env: 'write', names: [], claudeOnboarding: false })], { env: { PATH: '/usr/bin:/bin' }, cwd: root, encoding: 'utf8' });
    expect(stdout).toBe('refusedfile\t~/.cac/agents.env\nfinish\t0\n');
    expect(listing(out('elsewhere'))).toEqual([]);
  });

  it('a guarded credential that is now a link is never read back (tar replaces the link)', async () => {
    const { root, home, bin } = sandbox();
    writeFileSync(join(home, 'secret.json'), 'another file of the home');
    symlinkSync(join(home, 'secret.json'), join(home, 'b.json'));
    const script = injectScript({
      probes: [],
      copy: { absolute: false, roots: ['b.json'], guards: [{ name: 'b.json', sentHash: sha256('as injected') }] },
      finish: { env: 'skip', names: [], claudeOnboarding: false },
    });
    const tar = Buffer.concat(await packEntries([file('~/b.json', 'from the host')]).toArray());
    const got = parseInjectOutput(execFileSync('sh', ['-c', script], { input: tar, env: { PATH: `${bin}:/usr/bin:/bin` }, cwd: root, encoding: 'utf8' }));
    expect(got.kept.size).toBe(0);
    expect(isLink(join(home, 'b.json'))).toBe(false);
    expect(readFileSync(join(home, 'b.json'), 'utf8')).toBe('from the host');
    expect(readFileSync(join(home, 'secret.json'), 'utf8')).toBe('another file of the home');
  });
});

describe('the ~/.local fallback of an npm install', () => {
  it('is refused when ~/.local leads outside the home: npm never runs with that prefix', async () => {
    const { home, bin, out } = sandbox();
    mkdirSync(out('local'));
    symlinkSync(out('local'), join(home, '.local'));
    exe(
      join(bin, 'npm'),
      [
        'prefix=',
        'while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix=$2; shift; done',
        'if [ -z "$prefix" ]; then echo "npm error code EACCES" >&2; exit 243; fi',
        'mkdir -p "$prefix/bin" && : > "$prefix/bin/codex"',
      ].join('\n'),
    );
    const codex = effectiveAgent('codex', config(), {}, HOME);
    const d = { home, uid: 0, gid: 0, user: 'dev', bins: {}, versions: {}, tools: { npm: '/x/npm' } };
    const got = await install(new LocalHost({ env: { PATH: `${bin}:/usr/bin:/bin` } }), codex, d, {});
    expect(got.installed).toBe(false);
    expect(got.warning).toContain('cac: not installing into ~/.local: a symbolic link there leads outside the home');
    expect(listing(out('local'))).toEqual([]);
  });
});

describe('inject() with planted links: agent warnings, exit unaffected, nothing written through', () => {
  it('codex and claude end in warnings naming each refused file; the record keeps nothing refused', async () => {
    const { home, bin, out } = sandbox();
    mkdirSync(out('etc'));
    mkdirSync(out('elsewhere'));
    symlinkSync(out('etc'), join(home, '.codex'));
    symlinkSync(out('elsewhere'), join(home, '.cac'));
    const files = new MemFiles({
      [`${HOME}/.codex/auth.json`]: '{"t":1}',
      [`${HOME}/.codex/config.toml`]: 'x = 1\n',
      [`${HOME}/.claude/settings.json`]: '{}',
    });
    const container = new LocalHost({ env: { PATH: `${bin}:/usr/bin:/bin` } });
    const deps: AgentDeps = {
      agents: config({}, { codex: { enabled: true, env_forward: ['OPENAI_API_KEY'] }, claude: { enabled: true } }),
      env: { HOME, OPENAI_API_KEY: 'sk-1' },
      hostHome: HOME,
      stateDir: '/state/cac',
      files,
      container: () => container,
      reporter: silentReporter,
    };
    const target = { containerId: 'c1', remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/app', workspace: '/src/app' };
    const [codex, claude] = await inject(deps, target, { event: 'start' });
    expect(codex).toMatchObject({
      status: 'warning',
      copied: [],
      warnings: [
        'not written (a symbolic link in the container leads outside the home): ~/.cac/agents.env',
        'not written (a symbolic link in the container leads outside the home): ~/.codex/auth.json, ~/.codex/config.toml',
      ],
    });
    expect(claude).toMatchObject({ status: 'ok', copied: [join(home, '.claude/settings.json')] });
    expect(listing(out('etc'))).toEqual([]);
    expect(listing(out('elsewhere'))).toEqual([]);
    // sync-back has nothing of codex to read back
    expect(await syncBack(deps, target)).toEqual({ synced: [], warnings: [] });
  });
});

describe('the read script (sync-back) never reads through a link', () => {
  it('reports a link, a file behind a link leaving the home, a non-regular file; reads at most 1 MiB + 1 byte', () => {
    const { root, home, out } = sandbox();
    writeFileSync(out('auth.json'), '{"stolen":1}');
    mkdirSync(out('dir'));
    writeFileSync(out('dir/auth.json'), '{"stolen":2}');
    mkdirSync(join(home, '.codex'));
    symlinkSync(out('auth.json'), join(home, '.codex/auth.json'));
    symlinkSync(out('dir'), join(home, '.gemini'));
    mkdirSync(join(home, '.claude/.credentials.json'), { recursive: true });
    writeFileSync(join(home, 'big.json'), Buffer.alloc(3 * 1024 * 1024, 'a'));
    const paths = ['.codex/auth.json', '.gemini/auth.json', '.claude/.credentials.json', 'big.json'].map((p) => join(home, p));
    const got = parseRead(execFileSync('sh', ['-c', readScript(home, paths)], { env: { PATH: '/usr/bin:/bin' }, cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    expect(got.get(0)).toEqual({ refused: 'link' });
    expect(got.get(1)).toEqual({ refused: 'outside' });
    expect(got.get(2)).toEqual({ refused: 'not-regular' });
    const big = got.get(3);
    expect(big && 'data' in big ? big.data.length : -1).toBe(1024 * 1024 + 1);
  });
});
