// LocalHost: the machine cac runs on, through execa.
import type { Readable } from 'node:stream';
import { interrupted, CacError } from '../../errors.js';
import type { ExecOptions, ExecResult, Host } from '../../ports/host.js';

export class LocalHost implements Host {
  readonly kind = 'local' as const;
  private readonly env: Record<string, string | undefined>;

  constructor(opts: { env?: Record<string, string | undefined> } = {}) {
    this.env = opts.env ?? process.env;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) throw new CacError('ERR_INVALID_INPUT', 'empty command');
    if (opts.signal?.aborted) throw interrupted();
    // execa loads on first use: commands that run no process start faster
    const { execa } = await import('execa');
    const child = execa(file, args, {
      env: { ...this.env, ...opts.env },
      extendEnv: false,
      cwd: opts.cwd,
      reject: false,
      stripFinalNewline: false,
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      forceKillAfterDelay: 3000,
      ...(opts.inherit
        ? { stdio: 'inherit' as const }
        : { ...stdinOf(opts.stdin), stdout: 'pipe' as const, stderr: 'pipe' as const, encoding: 'utf8' as const }),
    });
    if (!opts.inherit) {
      if (opts.onStdout) child.stdout?.on('data', (d: Buffer) => opts.onStdout?.(d.toString()));
      if (opts.onStderr) child.stderr?.on('data', (d: Buffer) => opts.onStderr?.(d.toString()));
      if (opts.stdin && typeof opts.stdin !== 'string' && !(opts.stdin instanceof Uint8Array)) {
        (opts.stdin as Readable).pipe(child.stdin!);
      }
    }
    const r = await child;
    if (r.isCanceled || opts.signal?.aborted) throw interrupted();
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    const stderr = typeof r.stderr === 'string' ? r.stderr : '';
    if (r.timedOut) return { exitCode: 124, stdout, stderr, timedOut: true };
    if (r.exitCode === undefined) {
      // could not start (ENOENT, EACCES): report like a shell would, with the reason
      const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
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

function stdinOf(stdin: ExecOptions['stdin']): { stdin: 'ignore' | 'pipe' } | { input: string | Uint8Array } {
  if (stdin === undefined) return { stdin: 'ignore' };
  if (typeof stdin === 'string' || stdin instanceof Uint8Array) return { input: stdin };
  return { stdin: 'pipe' };
}
