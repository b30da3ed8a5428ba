// One SSH connection per box per process: every step of a box (repo, devcontainer, agents, .env) runs
// over the same Host, opened on first use and closed when the box's run ends (ProvisionDeps.settle).
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { Box, SshTarget } from '../../domain/box.js';

/** A Host that holds a connection until closed. */
export interface ClosableHost extends Host {
  close(): Promise<void>;
}

/** Opens a Host for a box's SSH target (an SshHost with cac's key, pinned to the target's host key). */
export type OpenBoxHost = (target: SshTarget) => Promise<ClosableHost>;

/** One SSH connection per box, shared by its steps and closed when its run ends. */
export class BoxConnections {
  private readonly hosts = new Map<string, { key: string; host: Promise<ClosableHost> }>();

  constructor(private readonly open: OpenBoxHost) {}

  /** The box's Host; its SSH target must be recorded (ssh_ready passed). */
  get(box: Box): Promise<ClosableHost> {
    const t = box.sshTarget;
    if (!t) throw new CacError('ERR_BOX_NO_SSH', `box ${box.id} has no SSH target yet`, { hint: 'its ssh_ready step has not passed' });
    const key = `${t.user}@${t.host}:${t.port} ${t.hostKey}`;
    const held = this.hosts.get(box.id);
    if (held?.key === key) return held.host;
    if (held) void closeQuietly(held.host);
    const host = this.open(t);
    this.hosts.set(box.id, { key, host });
    host.catch(() => this.hosts.get(box.id)?.host === host && this.hosts.delete(box.id));
    return host;
  }

  /** Closes the box's connection (the next get opens a new one). */
  async close(boxId: string): Promise<void> {
    const held = this.hosts.get(boxId);
    this.hosts.delete(boxId);
    if (held) await closeQuietly(held.host);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.hosts.keys()].map((id) => this.close(id)));
  }
}

async function closeQuietly(host: Promise<ClosableHost>): Promise<void> {
  const h = await host.catch(() => undefined);
  await h?.close().catch(() => undefined);
}
