// Runs one command-plugin call in its own process group, so a timeout kills the plugin AND whatever it
// started (a `sleep`, a cloud CLI) that would otherwise hold its stdout open and hang cac.
import { spawn } from 'node:child_process';
import { interrupted } from '../../errors.js';

export interface PluginRun {
  /** Exit status; 127 when the program is missing, 126 when it cannot run, 124 on timeout. */
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Why the program could not start (ENOENT, EACCES), when it could not. */
  startError?: string;
}

export interface PluginRunOptions {
  stdin: string;
  env: Record<string, string | undefined>;
  timeoutMs: number;
  signal?: AbortSignal;
}

const MAX_STDOUT = 8 * 1024 * 1024;
const STDERR_KEEP = 64 * 1024;
const KILL_GRACE_MS = 2_000;

export function runPlugin(argv: readonly string[], opts: PluginRunOptions): Promise<PluginRun> {
  const [file = '', ...args] = argv;
  if (opts.signal?.aborted) return Promise.reject(interrupted());
  return new Promise<PluginRun>((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // the group is gone already
      }
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_STDOUT) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
    });
    child.stdin.on('error', () => {}); // a plugin that exits without reading stdin is not our failure
    child.stdin.end(opts.stdin);
    const done = (result: PluginRun): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (aborted) reject(interrupted());
      else resolve(result);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      done({ exitCode: e.code === 'ENOENT' ? 127 : 126, stdout, stderr, timedOut: false, startError: e.code ?? e.message });
    });
    child.on('close', (code, signal) => {
      if (timedOut) done({ exitCode: 124, stdout, stderr, timedOut: true });
      else done({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr, timedOut: false });
    });
  });
}
