// LocalHost: the machine cac runs on, through execa.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { interrupted, CacError } from '../../errors.js';
import type { ExecOptions, ExecResult, Host } from '../../ports/host.js';
import { localChildEnv } from '../../util/child-env.js';

/** The Host of the machine cac runs on (execa); its programs get the allow-listed environment. */
export class LocalHost implements Host {
  readonly kind = 'local' as const;
  private readonly env: Record<string, string | undefined>;

  /** `env`: the programs' whole environment; default: the allow-listed part of cac's own (child-env.ts). */
  constructor(opts: { env?: Record<string, string | undefined> } = {}) {
    this.env = opts.env ?? localChildEnv(process.env);
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) throw new CacError('ERR_INVALID_INPUT', 'empty command');
    if (opts.signal?.aborted) throw interrupted();
    // execa loads on first use: commands that run no process start faster
    const { execa } = await import('execa');
    // A piped command runs in its own process group, so a timeout or an abort ends its children too
    // (a grandchild holding stdout open would otherwise keep us waiting). An interactive one stays in
    // our group: it needs the terminal, and Ctrl-C reaches it directly.
    const group = !opts.inherit;
    const child = execa(file, args, {
      env: { ...this.env, ...opts.env },
      extendEnv: false,
      cwd: opts.cwd,
      reject: false,
      stripFinalNewline: false,
      detached: group,
      ...(!group && opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
      ...(!group && opts.signal ? { cancelSignal: opts.signal } : {}),
      forceKillAfterDelay: 3000,
      ...(opts.inherit ? { stdio: 'inherit' as const } : { ...stdinOf(opts.stdin), stdout: 'pipe' as const, stderr: 'pipe' as const, encoding: 'utf8' as const }),
    });
    let timedOut = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = group && opts.timeoutMs ? setTimeout(() => ((timedOut = true), killGroup()), opts.timeoutMs) : undefined;
    if (group) opts.signal?.addEventListener('abort', killGroup, { once: true });
    if (!opts.inherit) {
      if (opts.onStdout) child.stdout?.on('data', decoded(opts.onStdout));
      if (opts.onStderr) child.stderr?.on('data', decoded(opts.onStderr));
      if (opts.stdin && typeof opts.stdin !== 'string' && !(opts.stdin instanceof Uint8Array)) {
        (opts.stdin as Readable).pipe(child.stdin!);
      }
    }
    const r = await child.finally(() => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', killGroup);
    });
    if (r.isCanceled || opts.signal?.aborted) throw interrupted();
    if (timedOut) return { exitCode: 124, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), timedOut: true };
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    const stderr = typeof r.stderr === 'string' ? r.stderr : '';
    if (r.timedOut) return { exitCode: 124, stdout, stderr, timedOut: true };
    if (r.exitCode === undefined) {
      // could not start (ENOENT, EACCES): report like a shell would, with the reason
      const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'ENOENT' && opts.cwd && !(await isDir(opts.cwd))) return { exitCode: 126, stdout, stderr: `${opts.cwd}: no such directory` };
      return { exitCode: code === 'ENOENT' ? 127 : 126, stdout, stderr: `${file}: ${code === 'ENOENT' ? 'command not found' : r.shortMessage}` };
    }
    return { exitCode: r.exitCode, stdout, stderr };
  }

  async putFiles(tar: Readable, dest: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.exec(['mkdir', '-p', dest], opts);
    const r = await this.exec(['tar', '-x', '-f', '-', '-C', dest], { stdin: tar, ...opts });
    if (r.exitCode !== 0) throw new CacError('ERR_PUT_FILES', `extracting files into ${dest} failed: ${r.stderr.trim()}`);
  }
}

async function isDir(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

// A multi-byte character split across two chunks reaches the callback whole.
function decoded(fn: (text: string) => void): (chunk: Buffer) => void {
  const decoder = new StringDecoder('utf8');
  return (chunk) => {
    const text = decoder.write(chunk);
    if (text) fn(text);
  };
}

function stdinOf(stdin: ExecOptions['stdin']): { stdin: 'ignore' | 'pipe' } | { input: string | Uint8Array } {
  if (stdin === undefined) return { stdin: 'ignore' };
  if (typeof stdin === 'string' || stdin instanceof Uint8Array) return { input: stdin };
  return { stdin: 'pipe' };
}
