// The check a reconcile makes of every standby box before counting it as supply: a login with the boxes'
// identity (box-identity.ts) that accepts only the box's pinned host key (a box whose host key changed is
// not the box cac made), then its engine: a provisioned box's dev container must be running. A box that
// fails is failed. Every host sharing a store logs in with the same identity, so a box that refuses it
// can be used by no one (it was made with an older key): it fails too.
import type { StandbyCheck } from '../core/boxes/reconcile-apply.js';
import { CacError } from '../errors.js';
import { type BoxKey, withBoxLogin } from './box-login.js';

/** `privateKey`: the key, or its loader (a round with no standby box loads none). */
export function standbyCheck(privateKey: BoxKey, timeoutMs = 20_000): StandbyCheck {
  return (box, { signal }) =>
    withBoxLogin(box, privateKey, timeoutMs, async (host) => {
      const containerId = box.workspace?.containerId;
      const argv = containerId ? ['docker', 'inspect', '--format', '{{.State.Running}}', containerId] : ['true'];
      const r = await host.exec(argv, { timeoutMs, ...(signal ? { signal } : {}) });
      if (!containerId) {
        if (r.exitCode !== 0) throw new CacError('ERR_BOX_UNFIT', `'true' exited ${r.exitCode} on the box`);
        return;
      }
      if (r.exitCode !== 0 || r.stdout.trim() !== 'true') {
        const why = r.exitCode !== 0 ? `the engine does not know it (exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''})` : 'it is not running';
        throw new CacError('ERR_BOX_UNFIT', `dev container ${containerId.slice(0, 12)}: ${why}`);
      }
    });
}
