// The provisioner's box scripts through a real `sh` and real git, with a LocalHost standing in for the
// box (its home a temp dir): hostile-but-legal branch names are checked out and nothing they spell runs;
// the .env lands 0600 byte for byte with no temp file left behind.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { localBox, RecordingHost } from '../../fakes/host.js';
import { LocalGitSource } from '../../../src/adapters/git/local-source.js';
import { newBoxRecord, type Box } from '../../../src/domain/box.js';
import { checkout, fetchBranches } from '../../../src/core/provision/repo.js';
import { CLONE_FETCH } from '../../../src/core/provision/repo-scripts.js';
import { ensureDevcontainerCli } from '../../../src/core/provision/devcontainer-cli.js';
import { EnvInjector } from '../../../src/core/provision/env.js';
import { isCacError } from '../../../src/errors.js';

const HOSTILE = ['$(touch${IFS}pwned)', '`touch${IFS}pwned2`', `it's"q`, 'a;b|c&d'];
const signal = new AbortController().signal;
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8' });

function sourceRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cac-src-'));
  git(dir, 'init', '-q', '-b', 'main');
  mkdirSync(join(dir, '.devcontainer'));
  writeFileSync(join(dir, '.devcontainer/devcontainer.json'), '{"image":"a"}\n');
  writeFileSync(join(dir, 'README'), 'main\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'main');
  for (const b of HOSTILE) {
    git(dir, 'checkout', '-q', '-b', b, 'main');
    writeFileSync(join(dir, 'README'), `${b}\n`);
    git(dir, 'commit', '-qam', b);
  }
  git(dir, 'checkout', '-q', '-b', 'new-config', 'main');
  writeFileSync(join(dir, '.devcontainer/devcontainer.json'), '{"image":"b"}\n');
  git(dir, 'commit', '-qam', 'config');
  git(dir, 'checkout', '-q', 'main');
  return dir;
}

const box = (repoUrl: string): Box => newBoxRecord({ repoUrl, baseBranch: 'main', deadlineAt: 1, now: 0 }, 'box_000000000001', 'k');

function filesNamed(dir: string, names: string[]): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => names.some((n) => f.split('/').pop() === n));
}

describe.each(['push', 'clone'] as const)('repo delivery by %s through a real sh and git', (delivery) => {
  it('fetches and checks out branches whose names are shell code, and nothing they spell runs', async () => {
    const src = sourceRepo();
    const home = mkdtempSync(join(tmpdir(), 'cac-boxhome-'));
    const host = localBox(home);
    const deps = { connections: undefined as never, delivery, source: new LocalGitSource({ host: new LocalHost(), mirrorsDir: join(home, 'mirrors') }) };
    const url = `file://${src}`;
    const bundles = () =>
      readdirSync(tmpdir())
        .filter((f) => f.startsWith('cac-bundle-'))
        .sort();
    const before = bundles();
    const folder = await fetchBranches(deps, host, box(url), 'cac/box_000000000001/app', ['main', ...HOSTILE], signal);
    expect(folder).toBe(join(home, 'cac/box_000000000001/app'));
    for (const b of HOSTILE) {
      await checkout(host, folder, b, signal);
      expect(git(folder, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe(b);
      expect(readFileSync(join(folder, 'README'), 'utf8')).toBe(`${b}\n`);
    }
    expect(filesNamed(home, ['pwned', 'pwned2'])).toEqual([]);
    expect(existsSync(join(process.cwd(), 'pwned'))).toBe(false);
    expect(git(folder, 'remote', 'get-url', 'origin').trim()).toBe(url);
    // idempotent: a resumed box runs the step again
    await fetchBranches(deps, host, box(url), 'cac/box_000000000001/app', ['main'], signal);
    await checkout(host, folder, 'main', signal);
    expect(readFileSync(join(folder, 'README'), 'utf8')).toBe('main\n');
    expect(bundles(), 'the local bundle files are removed').toEqual(before);
  });
});

describe('git speaks only https, ssh, git and file, whatever a git config allows', () => {
  // a home whose git config lets ext:: run commands, and an ext:: URL that would leave a marker file
  function hostileGitHome(): { home: string; url: string; marker: string } {
    const home = mkdtempSync(join(tmpdir(), 'cac-githome-'));
    writeFileSync(join(home, '.gitconfig'), '[protocol "ext"]\n\tallow = always\n[protocol]\n\tallow = always\n');
    const marker = join(home, 'ext-ran');
    return { home, url: `ext::sh -c touch% ${marker}% >&2`, marker };
  }

  it('the local mirror (push delivery) refuses an ext:: remote: the command never runs', async () => {
    const { home, url, marker } = hostileGitHome();
    const source = new LocalGitSource({ host: new LocalHost({ env: { ...process.env, HOME: home, GIT_CONFIG_GLOBAL: join(home, '.gitconfig') } }), mirrorsDir: join(home, 'mirrors') });
    const e = await source.bundle(url, ['main'], { signal }).catch((x: unknown) => x);
    expect(isCacError(e) && e.code).toBe('ERR_REPO');
    expect(isCacError(e) && e.message).toContain("transport 'ext' not allowed");
    expect(existsSync(marker)).toBe(false);
  });

  it('the box (clone delivery and the switch step) refuses an ext:: remote: the command never runs', async () => {
    const { home, url, marker } = hostileGitHome();
    const host = localBox(home, { GIT_CONFIG_GLOBAL: join(home, '.gitconfig') });
    const r = await host.exec(['sh', '-c', CLONE_FETCH, 'sh', 'cac/b/app', url, 'main']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("transport 'ext' not allowed");
    expect(existsSync(marker)).toBe(false);
  });
});

describe('the box scripts', () => {
  it('a branch missing from the local repository is ERR_REPO_BRANCH before anything reaches the box', async () => {
    const src = sourceRepo();
    const host = new RecordingHost('ssh');
    host.result = { exitCode: 0, stdout: '/x\n', stderr: '' };
    const deps = { connections: undefined as never, source: new LocalGitSource({ host: new LocalHost(), mirrorsDir: '/nonexistent' }) };
    const e = await fetchBranches(deps, host, box(src), 'cac/b/app', ['nope'], signal).catch((x: unknown) => x);
    expect(isCacError(e) && e.code).toBe('ERR_REPO_BRANCH');
    expect(host.calls).toEqual([]);
  });

  it('WRITE_ENV: the payload byte for byte in <folder>/.env, 0600, no temp file left, .env excluded from git once', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cac-boxhome-'));
    const folder = join(home, 'app');
    mkdirSync(folder);
    git(folder, 'init', '-q');
    const payload = `A='$(touch pwned)'\nB="\`id\`"\nC=line1\\nline2\nD=no-newline-at-end`;
    let held: Buffer | undefined;
    const injector = new EnvInjector({
      withDecrypted: async (_e, fn) => {
        held = Buffer.from(payload);
        try {
          return await fn(held);
        } finally {
          held.fill(0);
        }
      },
    });
    for (let i = 0; i < 2; i++) await injector.write(localBox(home), folder, 'cac:v1:00000000:AAAA');
    expect(readFileSync(join(folder, '.env'), 'utf8')).toBe(payload);
    expect(statSync(join(folder, '.env')).mode & 0o777).toBe(0o600);
    expect(readdirSync(folder).filter((f) => f.startsWith('.env'))).toEqual(['.env']);
    expect(
      readFileSync(join(folder, '.git/info/exclude'), 'utf8')
        .split('\n')
        .filter((l) => l === '/.env'),
    ).toHaveLength(1);
    expect(filesNamed(home, ['pwned'])).toEqual([]);
    expect(held?.every((b) => b === 0)).toBe(true);
  });

  it.each([
    ['a link to a file elsewhere', (dir: string, away: string) => (writeFileSync(join(away, 'target'), 'KEEP\n'), symlinkSync(join(away, 'target'), join(dir, '.env')))],
    ['a link to a directory elsewhere', (dir: string, away: string) => symlinkSync(away, join(dir, '.env'))],
    ['a dangling link', (dir: string, away: string) => symlinkSync(join(away, 'nothing-yet'), join(dir, '.env'))],
    ['a directory', (dir: string) => mkdirSync(join(dir, '.env'))],
  ])('WRITE_ENV refuses a .env that is %s: ERR_ENV_WRITE, nothing written anywhere', async (_what, plant) => {
    const home = mkdtempSync(join(tmpdir(), 'cac-boxhome-'));
    const folder = join(home, 'app');
    const away = join(home, 'elsewhere');
    mkdirSync(folder);
    mkdirSync(away);
    git(folder, 'init', '-q');
    plant(folder, away);
    const awayBefore = readdirSync(away).map((f) => [f, readFileSync(join(away, f), 'utf8')]);
    const injector = new EnvInjector({ withDecrypted: async (_e, fn) => fn(Buffer.from('SECRET_CANARY=1\n')) });
    const e = await injector.write(localBox(home), folder, 'cac:v1:00000000:AAAA').catch((x: unknown) => x);
    expect(isCacError(e) && [e.code, e.message, e.hint]).toEqual([
      'ERR_ENV_WRITE',
      `writing .env into ${folder} on the box failed (exit 3): .env in the checkout is a symbolic link or not a regular file: not writing the payload through it`,
      'the repository commits .env as a link or a directory: remove it from the repository (cac writes .env itself)',
    ]);
    expect(readdirSync(away).map((f) => [f, readFileSync(join(away, f), 'utf8')])).toEqual(awayBefore);
    expect(readdirSync(folder).filter((f) => f.startsWith('.env'))).toEqual(['.env']);
    const files = readdirSync(home, { recursive: true, encoding: 'utf8' })
      .map((f) => join(home, f))
      .filter((f) => lstatSync(f).isFile());
    expect(files.filter((f) => readFileSync(f, 'utf8').includes('SECRET_CANARY'))).toEqual([]);
  });

  it('ENSURE_CLI: the pinned CLI found, installed with sudo npm when missing, and a clear error without Node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cac-path-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const script = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    const host = localBox(dir, { PATH: bin });
    const noNode = await ensureDevcontainerCli(host, '0.89.0', signal).catch((e: unknown) => e);
    expect(isCacError(noNode) && [noNode.code, noNode.message]).toEqual(['ERR_BOX_NO_NODE', 'the box cannot run the devcontainer CLI: no node or npm on PATH']);

    script('node', 'echo 18');
    script('npm', 'exit 0');
    const old = await ensureDevcontainerCli(host, '0.89.0', signal).catch((e: unknown) => e);
    expect(isCacError(old) && old.message).toBe('the box cannot run the devcontainer CLI: node 18 is older than 20');

    script('node', 'echo 20');
    script('sudo', '[ "$1" = -n ] && shift; "$@"');
    script('npm', `echo "npm $*" >> ${dir}/npm.log; printf '#!/bin/sh\\necho 0.89.0\\n' > ${bin}/devcontainer; /bin/chmod 755 ${bin}/devcontainer`);
    expect(await ensureDevcontainerCli(host, '0.89.0', signal)).toBe(join(bin, 'devcontainer'));
    expect(readFileSync(join(dir, 'npm.log'), 'utf8')).toBe('npm i -g --no-audit --no-fund --no-update-notifier --loglevel=error @devcontainers/cli@0.89.0\n');
    // present at the pinned version: no install
    expect(await ensureDevcontainerCli(host, '0.89.0', signal)).toBe(join(bin, 'devcontainer'));
    expect(readFileSync(join(dir, 'npm.log'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });
});
