// The ssh_ready probe: a real SSH login (SshHost over ssh2) with cac's key that accepts only the pinned
// host key, running `true`. Retries while sshd is not up yet; a wrong host key or a refused key is final.
import { setTimeout as sleep } from 'node:timers/promises';
import type { SshTarget } from '../../domain/box.js';
import { CacError, isCacError } from '../../errors.js';
import { SshHost } from '../host/ssh.js';

// sshd still starting: the port refuses, closes during the handshake or stalls; nothing else gets better
const RETRYABLE = new Set(['ERR_SSH_CONNECT', 'ERR_SSH_TIMEOUT', 'ERR_SSH_DISCONNECTED']);

/** Logs in and runs `true`; retries refused connections until `timeoutMs`. */
export async function sshLogin(target: SshTarget, privateKey: string, opts: { signal: AbortSignal; timeoutMs: number }): Promise<void> {
  const until = Date.now() + opts.timeoutMs;
  for (;;) {
    const left = () => Math.max(1000, Math.min(20_000, until - Date.now()));
    // the key as bytes: SshHost reads a string as a file path
    const host = new SshHost({ ...target, privateKey: Buffer.from(privateKey) }, { connectTimeoutMs: left() });
    try {
      const r = await host.exec(['true'], { signal: opts.signal, timeoutMs: left() });
      if (r.exitCode === 0) return;
      // 255: the session ended without an exit status (cut while the box is still starting): try again
      const code = r.exitCode === 255 ? 'ERR_SSH_CONNECT' : 'ERR_SSH';
      throw new CacError(code, `'true' exited ${r.exitCode} on ${target.user}@${target.host}:${target.port}`, { hint: "check the box's login shell" });
    } catch (e) {
      if (!isCacError(e) || !RETRYABLE.has(e.code) || Date.now() >= until) throw e;
    } finally {
      await host.close();
    }
    await sleep(150, undefined, { signal: opts.signal });
  }
}
