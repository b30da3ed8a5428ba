// A tiny ssh2 client for the VM drivers: one login, one command, the host key checked against the
// pinned OpenSSH public key line (anything else is refused before authentication).
import type { ClientChannel } from 'ssh2';
import type { SshTarget } from '../../domain/box.js';
import { CacError, interrupted } from '../../errors.js';
import type { ExecResult } from '../../ports/host.js';

export interface SshRunOptions {
  /** The private key (OpenSSH or PEM text) to log in with. */
  privateKey: string | Buffer;
  /** Bytes for the command's stdin. */
  stdin?: string;
  /** Connect + run budget; default 30 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The key blob of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
export function keyBlob(line: string): Buffer {
  const b64 = line.trim().split(/\s+/)[1] ?? '';
  return Buffer.from(b64, 'base64');
}

const where = (t: SshTarget): string => `${t.user}@${t.host}:${t.port}`;

/** Runs `command` (through the login shell) on the target; rejects with ERR_HOST_KEY_MISMATCH, ERR_SSH_AUTH, ERR_SSH_CONNECT or ERR_SSH_TIMEOUT. */
export async function sshRun(target: SshTarget, command: string, opts: SshRunOptions): Promise<ExecResult> {
  if (opts.signal?.aborted) throw interrupted();
  const { Client } = await import('ssh2');
  const pinned = keyBlob(target.hostKey);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<ExecResult>((resolve, reject) => {
    const conn = new Client();
    let mismatch = false;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      conn.end();
      fn();
    };
    const fail = (e: CacError): void => finish(() => reject(e));
    const onAbort = (): void => fail(interrupted());
    const timer = setTimeout(() => fail(new CacError('ERR_SSH_TIMEOUT', `ssh ${where(target)}: no answer within ${timeoutMs} ms`)), timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    conn.on('error', (e: Error & { level?: string }) => {
      if (mismatch) {
        fail(new CacError('ERR_HOST_KEY_MISMATCH', `ssh ${where(target)}: the host key is not the pinned one`, {
          hint: 'the machine was replaced or someone is in the way; check it, then update the pinned host key',
        }));
      } else if (e.level === 'client-authentication') {
        fail(new CacError('ERR_SSH_AUTH', `ssh ${where(target)}: the key was refused`, { hint: `authorize the key for ${target.user} on ${target.host}` }));
      } else {
        fail(new CacError('ERR_SSH_CONNECT', `ssh ${where(target)}: ${e.message}`, { hint: 'check the host is up and sshd listens on that port' }));
      }
    });
    conn.on('ready', () => {
      conn.exec(command, (err: Error | undefined, stream: ClientChannel) => {
        if (err) return fail(new CacError('ERR_SSH_CONNECT', `ssh ${where(target)}: ${err.message}`));
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('close', (code: number | null) => finish(() => resolve({ exitCode: code ?? 255, stdout, stderr })));
        stream.end(opts.stdin ?? '');
      });
    });
    conn.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: opts.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        mismatch = !key.equals(pinned);
        return !mismatch;
      },
    });
  });
}
