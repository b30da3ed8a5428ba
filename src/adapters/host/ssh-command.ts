// The command line an SshHost sends to the box's login shell, and the bytes that precede stdin.
//
// Environment values never travel as SSH "env" requests (sshd drops names not in AcceptEnv) and never
// on a command line (visible in `ps` on the box). Instead the command line carries a fixed prelude
// that reads `NAME LINES` headers plus the value's lines from the channel's stdin with the shell's
// own `read` builtin (which reads byte by byte from a pipe, so it stops exactly at the blank line
// ending the headers) and exports them; then the real program is `exec`ed and inherits the rest of
// stdin. No `eval`, no temp file, no extra process: values exist only in the shell's memory and the
// program's environment.
//
// The prelude also prints `@cac-pid:<pid>` on stderr first (stripped by the client): sshd makes the
// session its own process group, so timeouts and aborts can `kill -- -<pid>` the whole group over a
// second channel (OpenSSH refuses "signal" requests in many setups, and closing a channel kills nothing).
// Like ssh(1)'s own command strings, this assumes a POSIX login shell on the box (sh, dash, bash, zsh).
import { CacError } from '../../errors.js';
import { quote, quoteArgv } from '../../util/shell.js';

const PID_MARK = '@cac-pid:';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Loop variables carry a `_cac_` prefix so exporting a user's `n` or `v` cannot clobber them; the
// newline inside the quotes joins a multi-line value back together.
const READ_ENV =
  `while IFS=' ' read -r _cac_n _cac_c && [ -n "$_cac_n" ]; do _cac_v=; _cac_i=0; ` +
  `while [ "$_cac_i" -lt "$_cac_c" ]; do IFS= read -r _cac_l || exit 125; ` +
  `if [ "$_cac_i" -eq 0 ]; then _cac_v=$_cac_l; else _cac_v="$_cac_v\n$_cac_l"; fi; _cac_i=$((_cac_i + 1)); done; ` +
  `export "$_cac_n=$_cac_v"; done`;

/** The remote command line: pid marker, env prelude (when needed), `cd`, then `exec` of the quoted argv. */
export function remoteCommand(argv: readonly string[], opts: { cwd?: string | undefined; withEnv: boolean }): string {
  if (argv.length === 0) throw new CacError('ERR_INVALID_INPUT', 'empty command');
  const run = `exec ${quoteArgv(argv)}`;
  return [`echo ${PID_MARK}$$ >&2`, ...(opts.withEnv ? [READ_ENV] : []), opts.cwd ? `cd ${quote(opts.cwd)} && ${run}` : run].join('; ');
}

/** The stdin bytes the env prelude reads: per variable `NAME <n>` then its n lines, then a blank line. */
export function envPreamble(env: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) throw new CacError('ERR_INVALID_INPUT', `invalid environment variable name '${name}'`, { hint: 'use letters, digits and _' });
    if (value.includes('\0')) throw new CacError('ERR_INVALID_INPUT', `the value of ${name} contains a NUL byte`, { hint: 'environment values cannot hold NUL' });
    out += `${name} ${value.split('\n').length}\n${value}\n`;
  }
  return `${out}\n`;
}

/** Kills the process group of a session started by remoteCommand. */
export function killCommand(pid: number): string {
  return `kill -s KILL -- -${pid} 2>/dev/null || kill -s KILL ${pid}`;
}

/** Strips the pid marker line from a channel's stderr and remembers the pid. */
export class PidMarker {
  pid: number | undefined;
  private pending: Buffer | undefined = Buffer.alloc(0);
  private readonly waiters: Array<(pid: number | undefined) => void> = [];

  /** Feed a stderr chunk; returns what belongs to the program's stderr (held back until the marker). */
  feed(chunk: Buffer): Buffer {
    if (!this.pending) return chunk;
    const text = Buffer.concat([this.pending, chunk]);
    const m = new RegExp(`(^|\\n)${PID_MARK}(\\d+)\\n`).exec(text.toString('latin1'));
    if (!m) {
      this.pending = text;
      return Buffer.alloc(0);
    }
    this.settle(Number(m[2]));
    const start = m.index + (m[1] ?? '').length;
    return Buffer.concat([text.subarray(0, start), text.subarray(m.index + m[0].length)]);
  }

  /** The channel ended: hand back anything held. */
  flush(): Buffer {
    const rest = this.pending ?? Buffer.alloc(0);
    this.settle(undefined);
    return rest;
  }

  /** Resolves with the pid once seen (undefined if the channel ended without one). */
  whenKnown(): Promise<number | undefined> {
    if (!this.pending) return Promise.resolve(this.pid);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private settle(pid: number | undefined): void {
    this.pid = pid;
    this.pending = undefined;
    for (const w of this.waiters.splice(0)) w(pid);
  }
}
