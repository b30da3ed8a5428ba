// SshHost: a box reached over SSH (ssh2). One connection, opened on first use and reused for every
// channel; the host key is pinned; a lost connection is reopened by the next exec. How commands,
// env values and kills travel is explained in ssh-command.ts.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Client } from 'ssh2';
import { CacError, interrupted, isAbortError } from '../../errors.js';
import type { SshTarget } from '../../domain/box.js';
import type { ExecOptions, ExecResult, Host } from '../../ports/host.js';
import { openChannel, runChannel } from './ssh-channel.js';
import { envPreamble, killCommand, remoteCommand } from './ssh-command.js';
import { connectSsh, describeTarget, parsePinnedKey, type SshConnectOptions } from './ssh-connect.js';

/** Where and how to log in: the box's SSH target plus a private key (a file path, or the key bytes). */
export interface SshHostTarget extends SshTarget {
  privateKey: string | Buffer;
}

/** How an SshHost connects: timeouts, keepalive, channels at once. */
export interface SshHostOptions extends Partial<SshConnectOptions> {
  /** Channels open at once; sshd refuses more than MaxSessions (default 10) per connection. */
  maxChannels?: number;
}

interface Connection {
  client: Client;
  /** Set once the connection has failed or closed. */
  lost?: CacError;
}

const DEFAULTS: SshConnectOptions = { connectTimeoutMs: 20_000, keepaliveIntervalMs: 15_000, keepaliveCountMax: 3 };
const KILL_WAIT_MS = 5000;

/** The Host of a remote machine over SSH (ssh2), trusting only its pinned host key. */
export class SshHost implements Host {
  readonly kind = 'ssh' as const;
  private readonly connectOpts: SshConnectOptions;
  private readonly limit: LimitFunction;
  private connection: Promise<Connection> | undefined;
  private connections = 0;

  constructor(
    private readonly target: SshHostTarget,
    opts: SshHostOptions = {},
  ) {
    parsePinnedKey(target.hostKey);
    const { maxChannels = 8, ...connect } = opts;
    this.connectOpts = { ...DEFAULTS, ...connect };
    this.limit = pLimit(maxChannels);
  }

  /** How many SSH connections this host has opened (1 unless one was lost and reopened). */
  get connectCount(): number {
    return this.connections;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const env = opts.env ?? {};
    const withEnv = Object.keys(env).length > 0;
    const command = remoteCommand(argv, { cwd: opts.cwd, withEnv });
    const preamble = withEnv ? envPreamble(env) : undefined;
    if (opts.signal?.aborted) throw interrupted();
    let started = false;
    const queued = this.limit(async () => {
      if (opts.signal?.aborted) throw interrupted();
      started = true;
      const conn = await abortable(this.connect(), opts.signal);
      const run = runChannel({ client: conn.client, command, preamble, opts, kill: (pid) => this.kill(conn, pid), lost: () => conn.lost });
      // a channel that could not open because the connection died reports the connection's reason
      return run.catch((e: unknown) => {
        throw conn.lost && !isAbortError(e) ? conn.lost : e;
      });
    });
    // queued behind busy channels: give up at once on abort; once running, runChannel kills first
    return abortable(queued, opts.signal, () => !started);
  }

  async putFiles(tar: Readable, dest: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    // dest is a positional parameter of the script, never part of its text
    const r = await this.exec(['sh', '-c', 'mkdir -p -- "$1" && exec tar -x -f - -C "$1"', 'sh', dest], { stdin: tar, ...opts });
    if (r.exitCode !== 0) throw new CacError('ERR_PUT_FILES', `extracting files into ${dest} on ${describeTarget(this.target)} failed: ${r.stderr.trim()}`);
  }

  /** Close the connection (the next exec opens a new one). */
  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = undefined;
    const conn = await pending?.catch(() => undefined);
    if (!conn || conn.lost) return;
    // not events.once: an 'error' while closing (a reset socket) must not reject close()
    const closed = new Promise<void>((r) => conn.client.once('close', () => r()));
    conn.client.end();
    await closed;
  }

  private connect(): Promise<Connection> {
    if (!this.connection) {
      this.connections++;
      const opening = this.open();
      this.connection = opening;
      opening.catch(() => {
        if (this.connection === opening) this.connection = undefined;
      });
    }
    return this.connection;
  }

  private async open(): Promise<Connection> {
    const key = typeof this.target.privateKey === 'string' ? await readKey(this.target.privateKey) : this.target.privateKey;
    const client = await connectSsh(this.target, key, this.connectOpts);
    const conn: Connection = { client };
    const current = this.connection;
    const drop = (reason: CacError) => {
      conn.lost ??= reason;
      if (this.connection === current) this.connection = undefined;
    };
    client.on('error', (e: Error) => drop(lostError(this.target, e, this.connectOpts)));
    client.on('close', () => drop(lostError(this.target, new Error('the connection was closed'), this.connectOpts)));
    return conn;
  }

  // Outside the channel limit: a kill must get through even when every slot is busy.
  private async kill(conn: Connection, pid: number): Promise<void> {
    const ch = await openChannel(conn.client, killCommand(pid));
    ch.on('data', () => {}).stderr.on('data', () => {});
    ch.end();
    await Promise.race([once(ch, 'close'), new Promise((r) => setTimeout(r, KILL_WAIT_MS).unref())]);
  }
}

async function readKey(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new CacError('ERR_SSH_KEY', `cannot read the SSH private key ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { hint: 'check the key path cac was given' });
  }
}

function lostError(target: SshTarget, e: Error, opts: SshConnectOptions): CacError {
  const why = /keepalive/i.test(e.message) ? `no answer to ${opts.keepaliveCountMax} keepalives sent every ${opts.keepaliveIntervalMs} ms` : e.message;
  return new CacError('ERR_SSH_DISCONNECTED', `the SSH connection to ${describeTarget(target)} was lost: ${why}`, {
    hint: 'the box or the network went away; the next command reconnects',
    cause: e,
  });
}

// Rejects on abort (while `waiting()` says so) without waiting for `work`, which then sees the abort itself.
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, waiting: () => boolean = () => true): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      if (waiting()) reject(interrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
