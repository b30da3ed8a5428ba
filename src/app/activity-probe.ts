// `[boxes] idle_timeout`: the probe a reconcile runs on every held box each round, over SSH with the
// boxes' identity (box-identity.ts), trusting only the box's pinned host key. What it measures and how
// is core's (core/boxes/activity-probe.ts); this only carries it to the box.
import { activityProbeArgv, parseActivity, type ActivityProbe } from '../core/boxes/activity-probe.js';
import { type BoxKey, withBoxLogin } from './box-login.js';

/** `privateKey`: the key, or its loader (a round with no held box loads none). */
export function activityProbe(privateKey: BoxKey, timeoutMs = 20_000): ActivityProbe {
  return (box, { signal }) => withBoxLogin(box, privateKey, timeoutMs, async (host) => parseActivity(await host.exec(activityProbeArgv(box), { timeoutMs, ...(signal ? { signal } : {}) })));
}
