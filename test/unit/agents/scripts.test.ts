// The container-side scripts run in a real `sh`, with hostile names, paths and values quoted through
// util/shell; fake programs (getent, id, npm, agent CLIs) are real executables on PATH.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { quote } from '../../../src/util/shell.js';
import { discoverScript, parseDiscovery, type Discovery } from '../../../src/core/agents/discover.js';
import { finishScript } from '../../../src/core/agents/finish-script.js';
import { install } from '../../../src/core/agents/install.js';
import { effectiveAgent } from '../../../src/core/agents/effective-config.js';
import { parseRead, readScript } from '../../../src/core/agents/sync-back.js';
import { injectScript, parseInjectOutput, type Guard } from '../../../src/core/agents/inject-script.js';
import { planCopy, sha256, type TarEntry } from '../../../src/core/agents/plan.js';
import { memberName, memberRoots, packEntries } from '../../../src/core/agents/tar.js';
import { copyOutcome } from '../../../src/core/agents/copy.js';
import { readScanned, scanHost } from '../../../src/core/agents/host-material.js';
import { config, HOME, MemFiles } from '../../fakes/agents.js';

const HOSTILE = `ho'me "$(touch PWNED)" \`id\` $HOME;x`;
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function sandbox(): { root: string; home: string; bin: string } {
  const root = mkdtempSync(join(tmpdir(), 'cac-agent-sh-'));
  roots.push(root);
  const home = join(root, HOSTILE);
  const bin = join(root, 'bin');
  mkdirSync(home, { recursive: true });
  mkdirSync(bin);
  return { root, home, bin };
}

function exe(path: string, body: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

function sh(script: string, env: Record<string, string>, cwd: string): string {
  return execFileSync('sh', ['-c', script], { env, cwd, encoding: 'utf8' });
}

describe('discover script', () => {
  it("finds the user's real home from passwd (not $HOME) and probes binaries in order, with versions", () => {
    const { root, home, bin } = sandbox();
    exe(join(bin, 'id'), 'echo "uid=1000(dev) gid=1001(devs) groups=1001(devs)"');
    exe(join(bin, 'getent'), `[ "$2" = dev ] && printf '%s\\n' ${quote(`dev:x:1000:1001::${home}:/bin/sh`)}`);
    exe(join(bin, 'codex'), 'echo "codex-cli 9.9"; echo second line');
    exe(join(home, '.local/bin/agent'), 'echo "cursor 1.2"');
    const probes = [
      { kind: 'codex' as const, names: ['codex'] },
      { kind: 'claude' as const, names: ['claude'] },
      { kind: 'cursor' as const, names: ['cursor-agent', 'agent'] },
    ];
    const out = sh(discoverScript(probes, true), { PATH: `${bin}:/usr/bin:/bin`, HOME: '/root' }, root);
    const d = parseDiscovery(out) as Discovery;
    expect(d).toMatchObject({ home, uid: 1000, gid: 1001, user: 'dev' });
    expect(d.bins).toEqual({ codex: join(bin, 'codex'), cursor: join(home, '.local/bin/agent') });
    expect(d.versions).toEqual({ codex: 'codex-cli 9.9', cursor: 'cursor 1.2' });
    expect(existsSync(join(root, 'PWNED'))).toBe(false);
  });

  it('reads /etc/passwd first; a uid without a name falls back to $HOME', () => {
    const { root, bin } = sandbox();
    exe(join(bin, 'id'), 'echo "uid=0(root) gid=0(root) groups=0(root)"');
    expect(parseDiscovery(sh(discoverScript([], false), { PATH: `${bin}:/usr/bin:/bin`, HOME: '/x' }, root))).toMatchObject({ home: '/root', uid: 0, user: 'root' });
    exe(join(bin, 'id'), 'echo "uid=4321 gid=0(root) groups=0(root)"');
    expect(parseDiscovery(sh(discoverScript([], false), { PATH: `${bin}:/usr/bin:/bin`, HOME: '/the/home' }, root))).toMatchObject({ home: '/the/home', uid: 4321, gid: 0, user: '4321' });
    expect(parseDiscovery('ids\t1\t1\tx\n')).toBeUndefined();
  });
});

describe('finish script', () => {
  const values = {
    OPENAI_API_KEY: `sk-'quoted' "dq" $(touch PWNED) \`id\` \\ back`,
    MULTI: 'line one\nline two\n\n',
    EMPTY: '',
  };

  function run(home: string, root: string, claudeOnboarding = false): void {
    const script = finishScript(home, { env: 'write', names: Object.keys(values), claudeOnboarding });
    expect(sh(script, { PATH: '/usr/bin:/bin', ...values }, root)).toBe('finish\t0\n');
  }

  it('writes forwarded values to a 0600 file that login shells source through one guarded line', () => {
    const { root, home } = sandbox();
    writeFileSync(join(home, '.profile'), '# existing, no trailing newline');
    writeFileSync(join(home, '.bash_profile'), 'echo hi\n');
    run(home, root);
    run(home, root);
    const envFile = join(home, '.cac/agents.env');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.cac')).mode & 0o777).toBe(0o700);
    const profile = readFileSync(join(home, '.profile'), 'utf8');
    expect(profile.startsWith('# existing, no trailing newline\nif [ -f "$HOME/.cac/agents.env" ]')).toBe(true);
    expect(profile.match(/# cac agents env/g)).toHaveLength(1);
    expect(readFileSync(join(home, '.bash_profile'), 'utf8').match(/# cac agents env/g)).toHaveLength(1);
    expect(existsSync(join(home, '.zprofile'))).toBe(false);
    // a login shell (HOME = that home) sees exactly the values
    const seen = execFileSync('sh', ['-c', `. ./.profile; printf '%s\\0' "$OPENAI_API_KEY" "$MULTI" "$EMPTY" "$PATH"`], {
      cwd: home,
      env: { HOME: home, PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    }).split('\0');
    expect(seen.slice(0, 3)).toEqual([values.OPENAI_API_KEY, values.MULTI, values.EMPTY]);
    expect(seen[3]).toBe(`${home}/.local/bin:/usr/bin:/bin`);
    expect(existsSync(join(root, 'PWNED'))).toBe(false);
    expect(existsSync(join(home, 'PWNED'))).toBe(false);
  });

  it("creates Claude's onboarding marker only when ~/.claude.json is missing", () => {
    const { root, home } = sandbox();
    run(home, root, true);
    expect(JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8'))).toEqual({ hasCompletedOnboarding: true });
    expect(statSync(join(home, '.claude.json')).mode & 0o777).toBe(0o600);
    writeFileSync(join(home, '.claude.json'), '{"mine":1}');
    run(home, root, true);
    expect(readFileSync(join(home, '.claude.json'), 'utf8')).toBe('{"mine":1}');
  });

  it('with nothing forwarded it only rewrites an env file that exists (so stale values go)', () => {
    const { root, home } = sandbox();
    const plan = { env: 'if-present' as const, names: [], claudeOnboarding: false };
    sh(finishScript(home, plan), { PATH: '/usr/bin:/bin' }, root);
    expect(existsSync(join(home, '.cac'))).toBe(false);
    run(home, root);
    sh(finishScript(home, plan), { PATH: '/usr/bin:/bin' }, root);
    expect(readFileSync(join(home, '.cac/agents.env'), 'utf8')).not.toContain('OPENAI_API_KEY');
  });

  it('reports a failure instead of stopping the script', () => {
    const { root, home } = sandbox();
    writeFileSync(join(home, '.cac'), 'a file where the dir should be');
    expect(sh(finishScript(home, { env: 'write', names: [], claudeOnboarding: false }), { PATH: '/usr/bin:/bin' }, root)).toBe('finish\t1\n');
  });

  it('refuses a name that is not an environment variable name', () => {
    expect(() => finishScript('/h', { env: 'write', names: ['A;rm -rf /'], claudeOnboarding: false })).toThrow(/not an environment variable name/);
  });
});

describe('install (through a real sh with a fake npm on PATH)', () => {
  const discovery = (home: string, npm = true): Discovery => ({ home, uid: 0, gid: 0, user: 'dev', bins: {}, versions: {}, tools: npm ? { npm: '/x/npm' } : {} });
  const codex = effectiveAgent('codex', config({}, { codex: { env_forward: ['OPENAI_API_KEY'] } }), {}, HOME);

  it('a global npm install refused for permissions is retried with --prefix ~/.local', async () => {
    const { home, bin } = sandbox();
    exe(
      join(bin, 'npm'),
      [
        'prefix=',
        'while [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix=$2; shift; done',
        'if [ -z "$prefix" ]; then echo "npm error code EACCES" >&2; exit 243; fi',
        '[ "$OPENAI_API_KEY" = s3cret-value ] || exit 9',
        'mkdir -p "$prefix/bin" && printf "#!/bin/sh\\n" > "$prefix/bin/codex" && chmod +x "$prefix/bin/codex"',
      ].join('\n'),
    );
    const host = new LocalHost({ env: { PATH: `${bin}:/usr/bin:/bin` } });
    const out = await install(host, codex, discovery(home), { OPENAI_API_KEY: 's3cret-value' });
    expect(out).toEqual({ installed: true, localPrefix: true });
    expect(existsSync(join(home, '.local/bin/codex'))).toBe(true);
  });

  it('a failed install warns with its last 10 lines, secret values redacted', async () => {
    const { home, bin } = sandbox();
    exe(join(bin, 'npm'), 'i=1; while [ $i -le 20 ]; do echo "line $i $OPENAI_API_KEY"; i=$((i+1)); done; exit 1');
    const host = new LocalHost({ env: { PATH: `${bin}:/usr/bin:/bin` } });
    const out = await install(host, codex, discovery(home), { OPENAI_API_KEY: 's3cret-value' });
    expect(out.installed).toBe(false);
    const lines = out.warning?.split('\n') ?? [];
    expect(lines[0]).toBe('install failed (exit 1):');
    expect(lines.slice(1)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 11} ***`));
    expect(out.warning).not.toContain('s3cret-value');
  });

  it('an install that succeeds but leaves no binary is a failure', async () => {
    const { home, bin } = sandbox();
    exe(join(bin, 'npm'), 'exit 0');
    const out = await install(new LocalHost({ env: { PATH: `${bin}:/usr/bin:/bin` } }), codex, discovery(home), {});
    expect(out.warning).toContain('install failed (exit 127)');
    expect(out.warning).toContain('codex is not on PATH');
  });

  it('no npm in the container: a hint, and nothing is run', async () => {
    const host = { kind: 'local' as const, exec: () => Promise.reject(new Error('must not run')), putFiles: () => Promise.reject(new Error('no')) };
    const out = await install(host, codex, discovery('/h', false), {});
    expect(out).toMatchObject({ installed: false });
    expect(out.warning).toContain('no Node.js/npm');
  });
});

describe('the injection script: discover, extract the tar from stdin into the real home, finish', () => {
  const ws = { workspace: '/src/app', remoteWorkspaceFolder: '/workspaces/app' };

  async function plan(files: Record<string, string>) {
    const mem = new MemFiles(files);
    const agent = effectiveAgent('codex', config({}, { codex: { enabled: true } }), {}, HOME);
    const scan = await scanHost(agent, mem);
    await readScanned(scan, mem);
    return planCopy([{ agent, scan }], ws);
  }

  async function runInject(home: string, root: string, bin: string, entries: TarEntry[], guards: Guard[] = []) {
    exe(join(bin, 'id'), 'echo "uid=0(dev) gid=0(dev)"');
    exe(join(bin, 'getent'), `printf '%s\\n' ${quote(`dev:x:0:0::${home}:/bin/sh`)}`);
    const tar = Buffer.concat(await packEntries(entries).toArray());
    const roots = memberRoots(entries.map((e) => memberName(e.path)));
    const script = injectScript({ probes: [], copy: { absolute: false, roots, guards }, finish: { env: 'write', names: ['TOKEN'], claudeOnboarding: false } });
    const stdout = execFileSync('sh', ['-c', script], { input: tar, env: { PATH: `${bin}:/usr/bin:/bin`, TOKEN: "t'k" }, cwd: root, encoding: 'utf8' });
    return parseInjectOutput(stdout);
  }

  it('lands every file with its mode in the hostile home, and reports each part', async () => {
    const { root, home, bin } = sandbox();
    const p = await plan({ [`${HOME}/.codex/auth.json`]: '{"t":1}', [`${HOME}/.codex/config.toml`]: '[projects."/src/app"]\n' });
    const out = await runInject(home, root, bin, p.entries);
    expect(out).toMatchObject({ tarExit: 0, tarErrors: [], finishExit: 0 });
    expect(out.discovery?.home).toBe(home);
    expect(statSync(join(home, '.codex')).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, '.codex/auth.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.codex/config.toml')).mode & 0o777).toBe(0o644);
    expect(readFileSync(join(home, '.codex/config.toml'), 'utf8')).toBe('[projects."/workspaces/app"]\n');
    expect(readFileSync(join(home, '.cac/agents.env'), 'utf8')).toContain("export TOKEN='t'\\''k'");
    expect(existsSync(join(root, 'PWNED'))).toBe(false);
  });

  it("tar's complaint names the file, and is mapped to the agent that owns it", async () => {
    const { root, home, bin } = sandbox();
    mkdirSync(join(home, '.codex'));
    mkdirSync(join(home, '.codex/auth.json'));
    writeFileSync(join(home, '.codex/auth.json/x'), 'a dir in the way');
    const p = await plan({ [`${HOME}/.codex/auth.json`]: '{"t":1}', [`${HOME}/.codex/AGENTS.md`]: '# a' });
    const out = await runInject(home, root, bin, p.entries);
    expect(out.tarExit).toBe(2);
    const mapped = copyOutcome(p, out.tarExit, out.tarErrors);
    expect([...mapped.failed]).toEqual(['~/.codex/auth.json']);
    expect(mapped.warnings.codex?.[0]).toMatch(/^could not write ~\/\.codex\/auth\.json in the container: /);
    expect(readFileSync(join(home, '.codex/AGENTS.md'), 'utf8')).toBe('# a');
  });
});

describe('guarded credentials (refreshed in the container since injection)', () => {
  it('a changed one is reported and left alone; an unchanged one is overwritten', async () => {
    const { root, home, bin } = sandbox();
    exe(join(bin, 'id'), 'echo "uid=0(dev) gid=0(dev)"');
    exe(join(bin, 'getent'), `printf '%s\\n' ${quote(`dev:x:0:0::${home}:/bin/sh`)}`);
    mkdirSync(join(home, 'weird $(x) dir'), { recursive: true });
    writeFileSync(join(home, 'weird $(x) dir/a.json'), 'refreshed in the container');
    writeFileSync(join(home, 'b.json'), 'as injected');
    const entries: TarEntry[] = [
      { path: '~/weird $(x) dir/a.json', mode: 0o600, data: Buffer.from('from the host') },
      { path: '~/b.json', mode: 0o600, data: Buffer.from('from the host') },
    ];
    const guards = [
      { name: 'weird $(x) dir/a.json', sentHash: sha256('as injected') },
      { name: 'b.json', sentHash: sha256('as injected') },
    ];
    const tar = Buffer.concat(await packEntries(entries).toArray());
    const script = injectScript({ probes: [], copy: { absolute: false, roots: ['weird $(x) dir', 'b.json'], guards }, finish: { env: 'skip', names: [], claudeOnboarding: false } });
    const out = parseInjectOutput(execFileSync('sh', ['-c', script], { input: tar, env: { PATH: `${bin}:/usr/bin:/bin` }, cwd: root, encoding: 'utf8' }));
    expect(out.tarExit).toBe(0);
    expect([...out.kept.keys()]).toEqual([0]);
    expect(out.kept.get(0)?.toString()).toBe('refreshed in the container');
    expect(readFileSync(join(home, 'weird $(x) dir/a.json'), 'utf8')).toBe('refreshed in the container');
    expect(readFileSync(join(home, 'b.json'), 'utf8')).toBe('from the host');
  });
});

describe('read script (sync-back)', () => {
  it('returns the bytes of each readable file by index, hostile paths included', () => {
    const { root, home } = sandbox();
    const a = join(home, 'a.json');
    const b = join(home, "sub dir/b'$(x).json");
    mkdirSync(join(home, 'sub dir'));
    writeFileSync(a, '{"t":"one"}\n');
    writeFileSync(b, Buffer.from([0, 1, 2, 255]));
    const out = sh(readScript(home, [a, join(home, 'missing'), b]), { PATH: '/usr/bin:/bin' }, root);
    const got = parseRead(out);
    expect([...got.keys()]).toEqual([0, 2]);
    expect(got.get(0)).toEqual({ data: Buffer.from('{"t":"one"}\n') });
    expect(got.get(2)).toEqual({ data: Buffer.from([0, 1, 2, 255]) });
  });
});

describe('the injection exec links a missing agent from its volume (a real shell)', () => {
  const linkScript = (home: string, prefix: string) =>
    injectScript({
      probes: [{ kind: 'codex', names: ['codex'] }],
      finish: { env: 'write', names: [], claudeOnboarding: false },
      links: [{ kind: 'codex', version: '0.171.0', prefix, names: ['codex'] }],
    }).replace('cac_libc=gnu;', `h=${quote(home)}; cac_libc=gnu;`);
  const runIt = (script: string, bin: string, root: string) => parseInjectOutput(execFileSync('sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin` }, cwd: root, encoding: 'utf8' }));

  it('links VOLUME<platform>/bin/codex into ~/.local/bin, probes its version, then finishing puts ~/.local/bin on PATH', () => {
    const { root, home, bin } = sandbox();
    exe(join(bin, 'node'), 'exit 0');
    const plat = `${execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim()}-gnu`;
    exe(join(root, `vol-${plat}`, 'bin', 'codex'), 'echo "codex-cli 0.171.0"');
    const out = runIt(linkScript(home, join(root, 'vol-')), bin, root);
    expect(out.links.codex).toEqual({ state: 'verify', exit: 0, line: 'codex-cli 0.171.0' });
    expect(readFileSync(join(home, '.local/bin/codex'), 'utf8')).toContain('codex-cli 0.171.0');
    expect(readFileSync(join(home, '.cac/agents.env'), 'utf8')).toContain('.local/bin');
    expect(out.finishExit).toBe(0);
  });

  it('no volume for the platform: absent, nothing linked; codex already on PATH: nothing reported', () => {
    const { root, home, bin } = sandbox();
    exe(join(bin, 'node'), 'exit 0');
    expect(runIt(linkScript(home, join(root, 'none-')), bin, root).links.codex).toEqual({ state: 'absent' });
    expect(existsSync(join(home, '.local/bin/codex'))).toBe(false);
    exe(join(bin, 'codex'), 'echo "codex-cli 0.1.0"');
    expect(runIt(linkScript(home, join(root, 'none-')), bin, root).links).toEqual({});
  });
});
