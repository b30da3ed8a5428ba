// The check a reconcile makes of every standby box before counting it as supply: a login with cac's key
// that accepts only the box's pinned host key (a box whose host key changed is not the box cac made),
// then its engine: a provisioned box's dev container must be running. A box that fails is failed. A key
// the box refuses (made by another host sharing the store) is no sign of a changed box and passes.
import type { StandbyCheck } from '../core/boxes/reconcile-apply.js';
import { CacError } from '../errors.js';

export function standbyCheck(privateKey: string, timeoutMs = 20_000): StandbyCheck {
  return async (box, { signal }) => {
    const target = box.sshTarget;
    if (!target) throw new CacError('ERR_BOX_NO_SSH', `box ${box.id} has no SSH target`);
    const { SshHost } = await import('../adapters/host/ssh.js');
    // the key as bytes: SshHost reads a string as a file path
    const host = new SshHost({ ...target, privateKey: Buffer.from(privateKey) }, { connectTimeoutMs: timeoutMs });
    try {
      const containerId = box.workspace?.containerId;
      const argv = containerId ? ['docker', 'inspect', '--format', '{{.State.Running}}', containerId] : ['true'];
      let r: Awaited<ReturnType<typeof host.exec>>;
      try {
        r = await host.exec(argv, { timeoutMs, ...(signal ? { signal } : {}) });
      } catch (e) {
        // ssh verifies the pinned host key before it offers a key: a refused key means the box is the one
        // cac made but another host's cac made it (a shared store), so this host cannot look further
        if (e instanceof CacError && e.code === 'ERR_SSH_AUTH') return;
        throw e;
      }
      if (!containerId) {
        if (r.exitCode !== 0) throw new CacError('ERR_BOX_UNFIT', `'true' exited ${r.exitCode} on the box`);
        return;
      }
      if (r.exitCode !== 0 || r.stdout.trim() !== 'true') {
        const why = r.exitCode !== 0 ? `the engine does not know it (exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''})` : 'it is not running';
        throw new CacError('ERR_BOX_UNFIT', `dev container ${containerId.slice(0, 12)}: ${why}`);
      }
    } finally {
      await host.close();
    }
  };
}
