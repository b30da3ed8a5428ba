// The process's streams and environment as one value, so commands can run in-process in tests
// with PassThrough streams (vercel CLI's mock client idea).
import type { Readable, Writable } from 'node:stream';

export interface Stdio {
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  /** false for --no-color. */
  color: boolean;
}

/** Color level for stderr: --no-color and NO_COLOR win, FORCE_COLOR forces, else a TTY gets color. */
export function colorLevel(stdio: Stdio, opts: Pick<OutputOptions, 'color'>): 0 | 1 | 2 | 3 {
  if (!opts.color) return 0;
  const { NO_COLOR, FORCE_COLOR } = stdio.env;
  if (NO_COLOR !== undefined && NO_COLOR !== '') return 0;
  if (FORCE_COLOR !== undefined) {
    if (FORCE_COLOR === '0' || FORCE_COLOR === 'false') return 0;
    const n = Number(FORCE_COLOR);
    return n >= 1 && n <= 3 ? (n as 1 | 2 | 3) : 1;
  }
  return stdio.stderr.isTTY ? 1 : 0;
}
