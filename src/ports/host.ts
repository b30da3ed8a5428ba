// Host: everything cac does is a command run on a Host (docs/architecture.md). LocalHost (child_process),
// SshHost (ssh2) and ContainerHost (docker exec over any Host) implement it.
import type { Readable } from 'node:stream';

/** How a Host runs one command: stdin, extra env, cwd, timeout, abort, streaming. */
export interface ExecOptions {
  /** Bytes or a stream for the process's stdin. Implementations never log stdin. */
  stdin?: string | Uint8Array | Readable;
  /** Extra environment variables. Values are never logged or put on a command line. */
  env?: Record<string, string>;
  /** Working directory on the host. */
  cwd?: string;
  /** Kill the process after this many milliseconds (the result has `timedOut: true`). */
  timeoutMs?: number;
  /** Abort kills the process; exec then rejects with ERR_INTERRUPTED. */
  signal?: AbortSignal;
  /** Streaming: called with output chunks as they arrive (the result still holds all output). */
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
  /** Connect the process to cac's own stdin/stdout/stderr (interactive use); output is not captured. */
  inherit?: boolean;
}

/** How a command ended: its exit status and output. */
export interface ExecResult {
  /** The exit status; 127 when the program was not found, 124 on timeout. */
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

/** A machine cac runs commands on: the laptop (LocalHost), a box (SshHost), a container (ContainerHost). */
export interface Host {
  /** Which kind of host this is, for messages. */
  readonly kind: 'local' | 'ssh' | 'container';
  /** Run a program with arguments (no shell). Resolves with its exit status; rejects only on abort. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Extract a tar stream into `dest` (created if missing) on this host. */
  putFiles(tar: Readable, dest: string, opts?: { signal?: AbortSignal }): Promise<void>;
}
