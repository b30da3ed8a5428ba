// One exec channel on an open ssh2 connection: stdin in, stdout/stderr out (streamed and collected),
// exit status back; a timeout or an abort kills the remote process group before the channel closes.
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { CacError, interrupted } from '../../errors.js';
import type { ExecOptions, ExecResult } from '../../ports/host.js';
import { PidMarker } from './ssh-command.js';

export interface ChannelRun {
  client: Client;
  /** The full remote command line (see ssh-command.ts). */
  command: string;
  /** Bytes sent before the caller's stdin (the env preamble). */
  preamble: string | undefined;
  opts: ExecOptions;
  /** Kills a remote process group over another channel. */
  kill(pid: number): Promise<void>;
  /** Why the connection went away, if it did (then a channel without exit status is an error). */
  lost(): CacError | undefined;
}

const PID_WAIT_MS = 2000;
const CLOSE_WAIT_MS = 5000;

type Exit = { code?: number | null; signal?: string | null };

// ssh2 calls exec's callback while it parses a read; the exit status of a quick command can be in the
// same read and is emitted before an awaiting caller could listen: it is recorded from the start.
const exits = new WeakMap<ClientChannel, Exit>();

export function openChannel(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, ch) => {
      if (err)
        return reject(new CacError('ERR_SSH_CHANNEL', `cannot start a command over SSH: ${err.message}`, { hint: "the box's sshd may limit sessions (MaxSessions) or be shutting down", cause: err }));
      ch.once('exit', (code: number | null, signal?: string) => exits.set(ch, { code, signal: signal ?? null }));
      resolve(ch);
    });
  });
}

export async function runChannel(run: ChannelRun): Promise<ExecResult> {
  const { opts } = run;
  if (opts.signal?.aborted) throw interrupted();
  const ch = await openChannel(run.client, run.command);
  return new Promise((resolve, reject) => {
    const out = new Collector(opts.inherit ? (b) => process.stdout.write(b) : undefined, opts.onStdout);
    const err = new Collector(opts.inherit ? (b) => process.stderr.write(b) : undefined, opts.onStderr);
    const marker = new PidMarker();
    let exit: Exit | undefined = exits.get(ch);
    let stopping: 'timeout' | 'abort' | undefined;

    const stop = (why: 'timeout' | 'abort') => {
      if (stopping) return;
      stopping = why;
      const pid = Promise.race([marker.whenKnown(), delay(PID_WAIT_MS)]);
      void pid
        .then((p) => (p === undefined ? undefined : run.kill(p)))
        .catch(() => undefined)
        .finally(() => {
          ch.close();
          setTimeout(finish, CLOSE_WAIT_MS).unref();
        });
    };
    const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
    const onAbort = () => stop('abort');
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      detachStdin();
      if (opts.inherit) process.stdin.pause();
      err.push(marker.flush());
      const result = { stdout: out.text(), stderr: err.text() };
      if (stopping === 'abort') return reject(interrupted());
      if (stopping === 'timeout') return resolve({ exitCode: 124, ...result, timedOut: true });
      const lost = exit ? undefined : run.lost();
      if (lost) return reject(lost);
      resolve({ exitCode: exitCodeOf(exit), ...result });
    }

    ch.on('data', (b: Buffer) => out.push(b));
    ch.stderr.on('data', (b: Buffer) => err.push(marker.feed(b)));
    ch.on('exit', (code: number | null, signal?: string) => (exit ??= { code, signal: signal ?? null }));
    // the connection's own close handler runs in the same tick; let it record why first
    ch.on('close', () => setImmediate(finish));
    ch.on('error', () => {});
    const detachStdin = writeStdin(ch, run.preamble, opts.inherit ? process.stdin : opts.stdin);
    if (opts.signal?.aborted) stop('abort');
  });
}

// Returns how to detach a piped source once the channel is done.
function writeStdin(ch: ClientChannel, preamble: string | undefined, stdin: ExecOptions['stdin']): () => void {
  if (preamble) ch.write(preamble);
  if (stdin === undefined) ch.end();
  else if (typeof stdin === 'string' || stdin instanceof Uint8Array) ch.end(stdin);
  else {
    const source = stdin as Readable;
    // a failing source ends stdin rather than leaving the remote program waiting for EOF
    const onError = () => ch.end();
    source.once('error', onError);
    source.pipe(ch);
    return () => {
      source.off('error', onError);
      // tar-stream's packs are streamx streams: they pipe like Node's but may lack unpipe
      source.unpipe?.(ch);
    };
  }
  return () => {};
}

// Killed by a signal: 128 + its number, like a shell; no status at all: 255, like ssh(1).
function exitCodeOf(exit: Exit | undefined): number {
  if (typeof exit?.code === 'number') return exit.code;
  if (exit?.signal) {
    const name = (exit.signal.startsWith('SIG') ? exit.signal : `SIG${exit.signal}`) as keyof typeof constants.signals;
    return 128 + (constants.signals[name] ?? 0);
  }
  return 255;
}

const delay = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref());

/** Collects a stream's bytes and forwards them (raw to a sink, decoded to a callback). */
class Collector {
  private readonly chunks: Buffer[] = [];
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly sink: ((b: Buffer) => void) | undefined,
    private readonly onText: ((s: string) => void) | undefined,
  ) {}

  push(b: Buffer): void {
    if (b.length === 0) return;
    if (this.sink) return this.sink(b);
    this.chunks.push(b);
    const text = this.onText ? this.decoder.write(b) : '';
    if (text) this.onText?.(text);
  }

  text(): string {
    const rest = this.onText ? this.decoder.end() : '';
    if (rest) this.onText?.(rest);
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
