// LocalHost: the machine cac runs on, through node:child_process. Not execa: loading it cost every
// command that runs a program ~30 ms of start-up (`cac up` spawns the devcontainer CLI only after).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { interrupted, CacError } from '../../errors.js';
import type { ExecOptions, ExecResult, Host } from '../../ports/host.js';
import { localChildEnv } from '../../util/child-env.js';

// Past this, output is not kept and the command is killed (a runaway program must not exhaust memory).
const MAX_OUTPUT = 100_000_000;
// An interactive command ended by a timeout or an abort gets SIGTERM, then SIGKILL after this.
const KILL_GRACE_MS = 3000;

/** The Host of the machine cac runs on; its programs get the allow-listed environment. */
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
    const r = await run(file, args, opts, { ...this.env, ...opts.env });
    if (r.aborted || opts.signal?.aborted) throw interrupted();
    if (r.timedOut) return { exitCode: 124, stdout: r.stdout, stderr: r.stderr, timedOut: true };
    if (r.startError) {
      // could not start (ENOENT, EACCES): report like a shell would, with the reason
      const code = r.startError.code;
      if (code === 'ENOENT' && opts.cwd && !(await isDir(opts.cwd))) return { exitCode: 126, stdout: r.stdout, stderr: `${opts.cwd}: no such directory` };
      return { exitCode: code === 'ENOENT' ? 127 : 126, stdout: r.stdout, stderr: `${file}: ${code === 'ENOENT' ? 'command not found' : r.startError.message}` };
    }
    if (r.overflow) return { exitCode: 126, stdout: '', stderr: `${file}: more than ${MAX_OUTPUT} bytes of output` };
    // killed by a signal: as a shell reports it
    const exitCode = r.code ?? 128 + (r.signal ? (constants.signals[r.signal] ?? 0) : 0);
    return { exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  async putFiles(tar: Readable, dest: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    await this.exec(['mkdir', '-p', dest], opts);
    const r = await this.exec(['tar', '-x', '-f', '-', '-C', dest], { stdin: tar, ...opts });
    if (r.exitCode !== 0) throw new CacError('ERR_PUT_FILES', `extracting files into ${dest} failed: ${r.stderr.trim()}`);
  }
}

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  overflow: boolean;
  startError?: NodeJS.ErrnoException;
}

function run(file: string, args: string[], opts: ExecOptions, env: Record<string, string | undefined>): Promise<Ran> {
  // A piped command runs in its own process group, so a timeout or an abort ends its children too
  // (a grandchild holding stdout open would otherwise keep us waiting). An interactive one stays in
  // our group: it needs the terminal, and Ctrl-C reaches it directly.
  const group = !opts.inherit;
  const stdin = opts.stdin === undefined ? 'ignore' : 'pipe';
  const child = spawn(file, args, { env, cwd: opts.cwd, detached: group, stdio: opts.inherit ? 'inherit' : [stdin, 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  const state = { timedOut: false, aborted: false, overflow: false };
  const kill = (signal: NodeJS.Signals): void => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  // the group dies at once; an interactive command gets a chance to clean up
  const stop = (): void => {
    if (group) return kill('SIGKILL');
    kill('SIGTERM');
    setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref();
  };
  const timer = opts.timeoutMs ? setTimeout(() => ((state.timedOut = true), stop()), opts.timeoutMs) : undefined;
  const onAbort = (): void => ((state.aborted = true), stop());
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // an interactive command must not outlive cac (a second Ctrl-C exits at once)
  const onExit = (): void => kill('SIGTERM');
  if (!group) process.once('exit', onExit);
  const collect = (into: Buffer[], each?: (text: string) => void) => {
    const decode = each ? decoded(each) : undefined;
    return (chunk: Buffer): void => {
      decode?.(chunk);
      if (state.overflow) return;
      size += chunk.length;
      if (size > MAX_OUTPUT) return void ((state.overflow = true), kill('SIGKILL'));
      into.push(chunk);
    };
  };
  child.stdout?.on('data', collect(out, opts.onStdout));
  child.stderr?.on('data', collect(err, opts.onStderr));
  if (child.stdin) {
    // a command that exits without reading all of its stdin is not our failure
    child.stdin.on('error', () => {});
    if (typeof opts.stdin === 'string' || opts.stdin instanceof Uint8Array) child.stdin.end(opts.stdin);
    else (opts.stdin as Readable).pipe(child.stdin);
  }
  return new Promise((resolve) => {
    let settled = false;
    const done = (code: number | null, signal: NodeJS.Signals | null, startError?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      process.removeListener('exit', onExit);
      const text = (b: Buffer[]) => Buffer.concat(b).toString('utf8');
      resolve({ code, signal, stdout: text(out), stderr: text(err), ...state, ...(startError ? { startError } : {}) });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) done(null, null, e);
    });
    child.on('close', (code, signal) => done(code, signal));
  });
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
