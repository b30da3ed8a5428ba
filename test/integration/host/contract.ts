// ONE Host contract, run against every Host implementation (local.test.ts, ssh.test.ts). Everything is
// checked through the host itself (its own shell, its own /proc), never through this machine's fs.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../../src/ports/host.js';
import type { CacError } from '../../../src/errors.js';

export interface ContractHost {
  host: Host;
  close?(): Promise<void>;
}

const HOSTILE = ['$(id)', '; touch x', "it's", '"double"', 'new\nline', '`id`', '*', '', ' spaced ', '-n', 'back\\slash', '$HOME', 'a|b&c>d'];

const sh = (script: string, ...args: string[]) => ['sh', '-c', script, 'sh', ...args];

/** The pids (read from pid files on the host) that are still running; zombies count as gone. */
export async function aliveIn(host: Host, pidFiles: string[]): Promise<string[]> {
  const script = 'for f in "$@"; do p=$(cat "$f"); s=$(sed "s/.*) //" "/proc/$p/stat" 2>/dev/null | cut -c1); [ -n "$s" ] && [ "$s" != Z ] && echo "$p"; done; true';
  return (await host.exec(sh(script, ...pidFiles))).stdout.split('\n').filter(Boolean);
}

export function hostContract(name: string, setup: () => Promise<ContractHost>): void {
  describe(`Host contract: ${name}`, () => {
    let h: ContractHost;
    let host: Host;
    let scratch: string;

    // a fresh dir on the host, with a name that needs quoting
    beforeAll(async () => {
      h = await setup();
      host = h.host;
      const r = await host.exec(sh('d=$(mktemp -d) && mkdir "$d/$1" && echo "$d/$1"', "it's a $(dir)"));
      expect(r.exitCode).toBe(0);
      scratch = r.stdout.trim();
    });
    afterAll(async () => {
      if (scratch) await host.exec(['rm', '-rf', scratch.replace(/\/[^/]*$/, '')]);
      await h?.close?.();
    });

    const alive = async (pidFile: string) => (await aliveIn(host, [pidFile])).length > 0;
    const waitFor = async (file: string) => {
      for (let i = 0; i < 100 && (await host.exec(['test', '-s', file])).exitCode !== 0; i++) await new Promise((r) => setTimeout(r, 50));
    };

    it('reports exit codes, and 127 for a missing program', async () => {
      expect((await host.exec(['true'])).exitCode).toBe(0);
      expect((await host.exec(sh('exit 3'))).exitCode).toBe(3);
      const missing = await host.exec(['cac-no-such-program-4f1e']);
      expect(missing.exitCode).toBe(127);
      expect(missing.stderr).toContain('not found');
    });

    it('captures stdout and stderr apart, and streams both to callbacks', async () => {
      const seen = { out: '', err: '' };
      const r = await host.exec(sh('echo out; echo err >&2; echo more'), { onStdout: (c) => (seen.out += c), onStderr: (c) => (seen.err += c) });
      expect(r).toMatchObject({ exitCode: 0, stdout: 'out\nmore\n', stderr: 'err\n' });
      expect(seen).toEqual({ out: 'out\nmore\n', err: 'err\n' });
    });

    it('feeds stdin from a string, bytes and a stream; the result never contains stdin', async () => {
      expect((await host.exec(['cat'], { stdin: 'hello\nworld' })).stdout).toBe('hello\nworld');
      const bytes = randomBytes(300_000);
      const hashed = await host.exec(sh('sha256sum | cut -d" " -f1'), { stdin: new Uint8Array(bytes) });
      expect(hashed.stdout.trim()).toBe(createHash('sha256').update(bytes).digest('hex'));
      const chunks = Array.from({ length: 64 }, (_, i) => `chunk ${i} ${'z'.repeat(50_000)}\n`);
      const counted = await host.exec(sh('wc -c'), { stdin: Readable.from(chunks) });
      expect(Number(counted.stdout.trim())).toBe(chunks.join('').length);
      const quiet = await host.exec(['true'], { stdin: 'stdin-canary-7c1d' });
      expect(quiet.stdout + quiet.stderr).not.toContain('stdin-canary-7c1d');
    });

    it('returns several MB of stdout intact, also to onStdout (multi-byte text split across chunks)', async () => {
      let streamed = '';
      const r = await host.exec(sh("yes 'héllo wörld ✓' | head -n 400000"), { onStdout: (c) => (streamed += c) });
      expect(r.exitCode).toBe(0);
      expect(r.stdout.length).toBe(400_000 * 'héllo wörld ✓\n'.length);
      expect(r.stdout).not.toContain('\uFFFD');
      expect(streamed === r.stdout).toBe(true);
    });

    it('passes env values verbatim to the process, never on any command line', async () => {
      const canary = `env-canary-${randomBytes(6).toString('hex')}`;
      const env = { CAC_CANARY: canary, CAC_MULTI: `line1\n'${canary}' $(id) \`id\`\n\n`, CAC_EMPTY: '', CAC_SPACES: '  a  b  ' };
      const values = await host.exec(sh('for k in CAC_CANARY CAC_MULTI CAC_EMPTY CAC_SPACES; do printenv "$k"; printf "\\0"; done'), { env });
      expect(values.stdout.split('\0').slice(0, -1)).toEqual(Object.values(env).map((v) => `${v}\n`));
      // every process's argv on the host while one with the env is running
      const scan = await host.exec(sh('printenv CAC_CANARY >&2; for f in /proc/[0-9]*/cmdline; do { tr "\\0" " " <"$f"; } 2>/dev/null; echo; done'), { env });
      expect(scan.stderr).toBe(`${canary}\n`);
      expect(scan.stdout).toContain('printenv CAC_CANARY');
      expect(scan.stdout).not.toContain(canary);
      const piped = await host.exec(['cat'], { env, stdin: 'only stdin' });
      expect(piped.stdout).toBe('only stdin');
    });

    it('runs in cwd (a path that needs quoting) and quotes hostile argv values verbatim', async () => {
      expect((await host.exec(['pwd'], { cwd: scratch })).stdout).toBe(`${scratch}\n`);
      const r = await host.exec(['printf', '%s\\0', ...HOSTILE], { cwd: scratch });
      expect(r.stdout.split('\0').slice(0, -1)).toEqual(HOSTILE);
      expect((await host.exec(['ls', '-A'], { cwd: scratch })).stdout).toBe('');
      expect((await host.exec(['pwd'], { cwd: `${scratch}/missing` })).exitCode).not.toBe(0);
    });

    it('timeoutMs: exit 124 with timedOut, and the process is gone', async () => {
      const pidFile = `${scratch}/timeout.pid`;
      const t0 = Date.now();
      const r = await host.exec(sh('echo $$ >"$1"; exec sleep 300', pidFile), { timeoutMs: 700 });
      expect(r).toMatchObject({ exitCode: 124, timedOut: true });
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(await alive(pidFile)).toBe(false);
    });

    it("timeout and abort also end the command's children (nothing left holding its output)", async () => {
      const pidFile = `${scratch}/child.pid`;
      const r = await host.exec(sh('sleep 300 & echo $! >"$1"; wait', pidFile), { timeoutMs: 700 });
      expect(r).toMatchObject({ exitCode: 124, timedOut: true });
      expect(await alive(pidFile)).toBe(false);
      const abortPid = `${scratch}/child-abort.pid`;
      const ac = new AbortController();
      const running = host.exec(sh('sleep 300 & echo $! >"$1"; wait', abortPid), { signal: ac.signal });
      await waitFor(abortPid);
      ac.abort();
      await expect(running).rejects.toMatchObject({ code: 'ERR_INTERRUPTED' } satisfies Partial<CacError>);
      expect(await alive(abortPid)).toBe(false);
    });

    it('abort: rejects with ERR_INTERRUPTED once the process is gone', async () => {
      const pidFile = `${scratch}/abort.pid`;
      const ac = new AbortController();
      const running = host.exec(sh('echo $$ >"$1"; exec sleep 300', pidFile), { signal: ac.signal });
      await waitFor(pidFile);
      ac.abort();
      await expect(running).rejects.toMatchObject({ code: 'ERR_INTERRUPTED' } satisfies Partial<CacError>);
      expect(await alive(pidFile)).toBe(false);
      await expect(host.exec(['true'], { signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_INTERRUPTED' });
    });

    // more than sshd's default MaxSessions (10) per connection
    it('runs many commands at once', async () => {
      const rs = await Promise.all(Array.from({ length: 14 }, (_, i) => host.exec(sh('sleep 0.2; echo "$1"', String(i)))));
      expect(rs.map((r) => r.stdout)).toEqual(Array.from({ length: 14 }, (_, i) => `${i}\n`));
    });

    it('putFiles: a tar with nested dirs and modes lands in a new dest, then runs', async () => {
      const dest = `${scratch}/put dest/it's`;
      await host.putFiles(tarOf(), dest);
      const listing = await host.exec(sh('cd "$1" && find . -mindepth 1 | sort | while read -r f; do stat -c "%n %a %F" "$f"; done', dest));
      expect(listing.stdout.split('\n')).toEqual(['./a 755 directory', './a/b 750 directory', './a/b/secret.txt 600 regular file', './a/empty 755 directory', './run.sh 755 regular file', '']);
      expect((await host.exec(['cat', `${dest}/a/b/secret.txt`])).stdout).toBe('s3cret\n');
      expect((await host.exec([`${dest}/run.sh`, 'x y'])).stdout).toBe('ran x y\n');
      await host.putFiles(tarOf(), dest);
      await expect(host.putFiles(tarOf(), '/proc/no-such-dir')).rejects.toMatchObject({ code: 'ERR_PUT_FILES' });
    });
  });
}

function tarOf(): Readable {
  const p = pack();
  p.entry({ name: 'a', type: 'directory', mode: 0o755 });
  p.entry({ name: 'a/b', type: 'directory', mode: 0o750 });
  p.entry({ name: 'a/b/secret.txt', mode: 0o600 }, 's3cret\n');
  p.entry({ name: 'a/empty', type: 'directory', mode: 0o755 });
  p.entry({ name: 'run.sh', mode: 0o755 }, '#!/bin/sh\necho ran "$1"\n');
  p.finalize();
  return p as unknown as Readable;
}
