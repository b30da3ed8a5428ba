// One SSH login to a box with the boxes' identity (box-identity.ts), trusting only the box's pinned host
// key, for the checks a reconcile makes of boxes (standby-check.ts, activity-probe.ts).
import type { Box } from '../domain/box.js';
import { CacError } from '../errors.js';
import type { Host } from '../ports/host.js';

/** `privateKey`: the key, or its loader (a round with no box to log in to loads none). */
export type BoxKey = string | (() => Promise<string>);

/** Runs `use` on a fresh SSH connection to `box`, closed after. */
export async function withBoxLogin<T>(box: Box, privateKey: BoxKey, timeoutMs: number, use: (host: Host) => Promise<T>): Promise<T> {
  const target = box.sshTarget;
  if (!target) throw new CacError('ERR_BOX_NO_SSH', `box ${box.id} has no SSH target`);
  const [{ SshHost }, key] = await Promise.all([import('../adapters/host/ssh.js'), typeof privateKey === 'string' ? privateKey : privateKey()]);
  // the key as bytes: SshHost reads a string as a file path
  const host = new SshHost({ ...target, privateKey: Buffer.from(key) }, { connectTimeoutMs: timeoutMs });
  try {
    return await use(host);
  } finally {
    await host.close();
  }
}
