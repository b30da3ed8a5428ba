import type { FleetHost } from '../../ports/box-store.js';
import type { Vm } from '../../ports/vm-driver.js';

export { fleetHostId, fleetHosts, type FleetHostEntry, type FleetHostSpec } from '../../domain/fleet.js';

/** What a box writes to `~/.cac/box.json` on its host: its "labels", so `list` finds orphans. */
export interface BoxStateFile {
  boxId: string;
  poolKey: string;
  idempotencyKey: string;
  labels: Record<string, string>;
  createdAt: number;
}

/** What one host said when asked (or that it did not answer). */
export interface HostProbe {
  reachable: boolean;
  state?: BoxStateFile | undefined;
  error?: string;
}

/** Box ids name a folder on the host: nothing but these characters (`box_…` always is). */
export const SAFE_BOX_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** A fleet VM is one box on one host: `user@host:port#box_…`, so a late destroy never touches the host's next box. */
export function fleetVmRef(hostId: string, boxId: string): string {
  return `${hostId}#${boxId}`;
}

export function parseFleetVmRef(vmRef: string): { hostId: string; boxId: string } | undefined {
  const at = vmRef.lastIndexOf('#');
  const hostId = vmRef.slice(0, at);
  const boxId = vmRef.slice(at + 1);
  return at > 0 && hostId !== '' && SAFE_BOX_ID.test(boxId) ? { hostId, boxId } : undefined;
}

/** The state file's JSON, or undefined when absent or not cac's. */
export function parseStateFile(text: string): BoxStateFile | undefined {
  try {
    const v = JSON.parse(text.trim()) as Partial<BoxStateFile>;
    if (typeof v.boxId !== 'string' || v.boxId === '' || typeof v.createdAt !== 'number') return undefined;
    return {
      boxId: v.boxId,
      poolKey: typeof v.poolKey === 'string' ? v.poolKey : '',
      idempotencyKey: typeof v.idempotencyKey === 'string' ? v.idempotencyKey : '',
      labels: typeof v.labels === 'object' && v.labels !== null ? v.labels : {},
      createdAt: v.createdAt,
    };
  } catch {
    return undefined;
  }
}

/**
 * The fleet's VMs: every lease is one (also on a host that does not answer, so a box is not failed
 * for a network blip), and so is a state file naming a box that holds no lease there (an orphan) when
 * it carries the `scope` labels (a state file of another store's box is not ours to judge).
 */
export function fleetVms(leases: readonly FleetHost[], probes: ReadonlyMap<string, HostProbe>, scope: Record<string, string> = {}): Vm[] {
  const vms: Vm[] = [];
  const hostIds = [...new Set([...leases.filter((l) => l.boxId !== null).map((l) => l.hostId), ...probes.keys()])].sort();
  for (const hostId of hostIds) {
    const lease = leases.find((l) => l.hostId === hostId && l.boxId !== null);
    const probe = probes.get(hostId);
    const file = probe?.state;
    const state = probe?.reachable ? 'running' : 'stopped';
    if (lease?.boxId) {
      const mine = file?.boxId === lease.boxId ? file : undefined;
      vms.push({ vmRef: fleetVmRef(hostId, lease.boxId), boxId: lease.boxId, poolKey: mine?.poolKey, createdAt: mine?.createdAt ?? lease.leasedAt ?? 0, state });
    }
    const inScope = Object.entries(scope).every(([k, v]) => file?.labels[k] === v);
    if (file && file.boxId !== lease?.boxId && inScope) {
      vms.push({ vmRef: fleetVmRef(hostId, file.boxId), boxId: file.boxId, poolKey: file.poolKey, createdAt: file.createdAt, state: 'running' });
    }
  }
  return vms;
}
