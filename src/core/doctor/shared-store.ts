// `cac doctor` on a host sharing its store (README "Several hosts, one pool"): what the other hosts need
// of this one, and whether this host can reach the boxes they make.
import type { DoctorCheck } from './checks.js';

export interface SharedStoreFacts {
  /** The store's kind: only Redis is shared between hosts. */
  store: 'redis' | 'sqlite';
  driver: string;
  /** `[boxes.docker] ssh_host`. */
  dockerSshHost: string;
  /** Whether a master key is configured (it opens the fleet SSH key the store keeps), or why the configured one cannot be loaded. */
  masterKey: true | false | { problem: string; hint?: string };
}

/** The rows for a shared store; none for a store of one host. */
export function sharedStoreChecks(f: SharedStoreFacts): DoctorCheck[] {
  if (f.store !== 'redis') return [];
  const rows: DoctorCheck[] = [identityRow(f.masterKey)];
  if (f.driver === 'docker') {
    const loopback = f.dockerSshHost === '127.0.0.1' || f.dockerSshHost === '::1';
    rows.push({
      name: 'shared store, local driver',
      status: 'warning',
      detail: `the store is shared (Redis) but the docker driver runs boxes on this host's engine: only this host can find their VMs gone or orphaned, and other hosts log in to them at ${f.dockerSshHost}${loopback ? ', which they cannot reach' : ''}`,
      hint: loopback
        ? 'set [boxes.docker] ssh_host to an address of this host the others reach, or use the ssh-fleet or command driver'
        : 'keep this host up while its boxes are in use; for boxes that outlive a host use the ssh-fleet or command driver',
    });
  }
  return rows;
}

function identityRow(masterKey: SharedStoreFacts['masterKey']): DoctorCheck {
  const name = 'fleet identity';
  if (masterKey === true) return { name, status: 'ok', detail: 'a master key is configured: it opens the fleet SSH key kept in the shared store' };
  if (masterKey === false) {
    return {
      name,
      status: 'error',
      detail: 'the store is shared (Redis) and no master key is configured: this host cannot open the fleet SSH key every box is reached with',
      hint: 'set $CAC_MASTER_KEY (or [secrets] master_key_file) to the master key the other hosts use',
    };
  }
  return { name, status: 'error', detail: `the master key that opens the fleet SSH key cannot be loaded: ${masterKey.problem}`, ...(masterKey.hint ? { hint: masterKey.hint } : {}) };
}
