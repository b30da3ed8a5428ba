// `[boxes] idle_timeout`: the probe a reconcile runs on every held box each round, over SSH with the
// boxes' identity (box-identity.ts), trusting only the box's pinned host key. What it measures and how
// is core's (core/boxes/activity-probe.ts); this only carries it to the box.
import { activityProbeArgv, parseActivity, type ActivityProbe } from '../core/boxes/activity-probe.js';
import { CacError } from '../errors.js';

/** `privateKey`: the key, or its loader (a round with no held box loads none). */
export function activityProbe(privateKey: string | (() => Promise<string>), timeoutMs = 20_000): ActivityProbe {
  return async (box, { signal }) => {
    const target = box.sshTarget;
    if (!target) throw new CacError('ERR_BOX_NO_SSH', `box ${box.id} has no SSH target`);
    const [{ SshHost }, key] = await Promise.all([import('../adapters/host/ssh.js'), typeof privateKey === 'string' ? privateKey : privateKey()]);
    // the key as bytes: SshHost reads a string as a file path
    const host = new SshHost({ ...target, privateKey: Buffer.from(key) }, { connectTimeoutMs: timeoutMs });
    try {
      return parseActivity(await host.exec(activityProbeArgv(box), { timeoutMs, ...(signal ? { signal } : {}) }));
    } finally {
      await host.close();
    }
  };
}
