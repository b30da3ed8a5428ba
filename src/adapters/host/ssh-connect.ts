// Opens one authenticated ssh2 connection to a box whose host key is pinned: the key the server
// presents must be exactly the pinned one (type and blob); there is no "accept new".
import { createHash } from 'node:crypto';
import { Client, type ServerHostKeyAlgorithm } from 'ssh2';
import { CacError } from '../../errors.js';
import type { SshTarget } from '../../domain/box.js';

export interface SshConnectOptions {
  /** Limit for TCP connect + SSH handshake + auth (ssh2 `readyTimeout`). */
  connectTimeoutMs: number;
  /** SSH-level keepalive period; the connection is dropped after `keepaliveCountMax` unanswered ones. */
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

export interface PinnedKey {
  type: string;
  blob: Buffer;
}

/** Parse an OpenSSH public key line (`ssh-ed25519 AAAA… [comment]`). */
export function parsePinnedKey(line: string): PinnedKey {
  const [type = '', b64 = ''] = line.trim().split(/\s+/);
  const blob = Buffer.from(b64, 'base64');
  if (!/^[a-z0-9@.-]+$/.test(type) || blob.length === 0 || blobType(blob) !== type) {
    throw new CacError('ERR_INVALID_INPUT', 'the pinned host key is not an OpenSSH public key line', {
      hint: "expected '<type> <base64>' as in a .pub file or known_hosts, e.g. 'ssh-ed25519 AAAAC3Nza…'",
    });
  }
  return { type, blob };
}

/** OpenSSH-style fingerprint: SHA256:<base64 without padding>. */
function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

// The key blob starts with its own type as an SSH string (uint32 length + bytes).
function blobType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.length < 4 + len ? '' : blob.subarray(4, 4 + len).toString('latin1');
}

function matches(pinned: PinnedKey, presented: Buffer): boolean {
  return blobType(presented) === pinned.type && presented.equals(pinned.blob);
}

// Ask only for the pinned key's algorithm(s), so a server with several host keys shows the pinned one.
function hostKeyAlgorithms(type: string): ServerHostKeyAlgorithm[] {
  return (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]) as ServerHostKeyAlgorithm[];
}

export const describeTarget = (t: SshTarget): string => `${t.user}@${t.host}:${t.port}`;

/** Connect and authenticate; rejects with a CacError (ERR_HOST_KEY_MISMATCH, ERR_SSH_CONNECT, …). */
export function connectSsh(target: SshTarget, privateKey: Buffer | string, opts: SshConnectOptions): Promise<Client> {
  const pinned = parsePinnedKey(target.hostKey);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let presented: Buffer | undefined;
    const fail = (e: Error & { level?: string; code?: string }) => {
      client.removeAllListeners();
      client.on('error', () => {});
      client.end();
      if (presented) reject(mismatch(target, pinned, presented));
      else if (/no matching host key format/.test(e.message)) reject(mismatch(target, pinned, undefined));
      else reject(connectError(target, e, opts));
    };
    client.once('ready', () => {
      client.removeAllListeners();
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('the server closed the connection during the handshake')));
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      readyTimeout: opts.connectTimeoutMs,
      keepaliveInterval: opts.keepaliveIntervalMs,
      keepaliveCountMax: opts.keepaliveCountMax,
      algorithms: { serverHostKey: hostKeyAlgorithms(pinned.type) },
      hostVerifier: (key: Buffer) => {
        if (matches(pinned, key)) return true;
        presented = Buffer.from(key);
        return false;
      },
    });
  });
}

// `presented` is undefined when the server has no key of the pinned type at all.
function mismatch(target: SshTarget, pinned: PinnedKey, presented: Buffer | undefined): CacError {
  const shown = presented ? `presented ${blobType(presented) || 'an unknown key'} ${fingerprint(presented)}` : `has no ${pinned.type} host key`;
  return new CacError('ERR_HOST_KEY_MISMATCH', `host key mismatch for ${describeTarget(target)}: expected ${pinned.type} ${fingerprint(pinned.blob)}, the server ${shown}`, {
    hint: 'the server is not the box that was recorded (or it was rebuilt); cac never accepts a new key for a known box: release the box and request a new one',
    details: { expected: fingerprint(pinned.blob), presented: presented ? fingerprint(presented) : null },
  });
}

/** Maps ssh2's errors to cac's: what failed, where, and what to check. */
function connectError(target: SshTarget, e: Error & { level?: string; code?: string }, opts: SshConnectOptions): CacError {
  const where = describeTarget(target);
  if (e.level === 'client-authentication') {
    return new CacError('ERR_SSH_AUTH', `ssh to ${where}: the server refused the key`, { hint: "check the box's authorized_keys and the private key cac uses", cause: e });
  }
  if (e.level === 'client-timeout') {
    return new CacError('ERR_SSH_TIMEOUT', `ssh to ${where}: no SSH handshake within ${opts.connectTimeoutMs} ms`, {
      hint: 'is the box up and is sshd (not something else) listening on that port?',
      cause: e,
    });
  }
  const reason = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'unknown host' : e.message;
  return new CacError('ERR_SSH_CONNECT', `ssh to ${where}: ${reason}`, { hint: 'is the box running and its sshd listening on that port?', cause: e });
}
