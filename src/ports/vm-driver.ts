// VmDriver: where boxes run. Drivers: docker (containers as boxes, for a laptop and CI), ssh-fleet
// (a fixed set of machines), command (user executables around any cloud CLI). Chosen by one factory.
import type { SshTarget } from '../domain/box.js';

/** A pool's saved inner engine (see core/boxes/prepared.ts): what it was made from, and when. */
export interface PreparedState {
  poolKey: string;
  configHash: string;
  /** ms since the epoch. */
  preparedAt: number;
  /** The driver's handle (docker: a volume name). */
  ref: string;
}

/**
 * Optional capability of a driver whose boxes run an inner engine it can copy (docker): pools prepared
 * ahead. `create` starts a new box's inner engine from the newest prepared state of its pool, when there is one.
 */
export interface PreparedStates {
  /** Every prepared state this driver keeps (of its scope). */
  list(opts?: { signal?: AbortSignal }): Promise<PreparedState[]>;
  /** Saves the inner engine of `vm` (stopped by the caller) as a prepared state of `poolKey`. */
  save(vm: Vm, meta: { poolKey: string; configHash: string; preparedAt: number }, opts?: { signal?: AbortSignal }): Promise<PreparedState>;
  /** Removes a prepared state; one in use right now is left for later. */
  remove(ref: string, opts?: { signal?: AbortSignal }): Promise<void>;
}

/** What a driver makes a VM for: the box, its pool, labels, cac's public key. */
export interface VmSpec {
  /** The box this VM is for; drivers label the VM with it so orphans can be found. */
  boxId: string;
  poolKey: string;
  /** Extra labels (e.g. cac.test-run). */
  labels: Record<string, string>;
  /** The public half of the key cac logs in with (an OpenSSH public key line). */
  sshPublicKey: string;
  /** Start the inner engine empty, not from the pool's prepared state (to prepare a new one). */
  unprepared?: boolean;
  /** Volumes of the driver's engine the VM sees read-only at `target` (agent CLIs); a driver that cannot mount them ignores this. */
  readOnlyVolumes?: ReadonlyArray<{ volume: string; target: string }>;
}

/** A VM as a driver reports it. */
export interface Vm {
  /** The driver's handle for the VM (container id, host name, cloud instance id). */
  vmRef: string;
  /** The cac box id from the VM's labels, when it has one. */
  boxId: string | undefined;
  poolKey: string | undefined;
  /** ms since the epoch. */
  createdAt: number;
  state: 'running' | 'stopped' | 'gone';
}

/** The port for where boxes run: create, list, destroy VMs and find their SSH endpoint. cac's docker, ssh-fleet and command drivers implement it. */
export interface VmDriver {
  /** The driver's config name: docker, ssh-fleet, command. */
  readonly name: string;
  /** Creates (or returns the existing) VM for the box; idempotent on the key. */
  create(spec: VmSpec, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<Vm>;
  /** The VM, or undefined when it is gone. */
  get(vmRef: string, opts?: { signal?: AbortSignal }): Promise<Vm | undefined>;
  /**
   * Every VM this driver manages for cac (for orphan sweeps). `readOnly` (a dry run): only look, record
   * nothing (ssh-fleet keeps its hosts' health as it was).
   */
  list(opts?: { signal?: AbortSignal; readOnly?: boolean }): Promise<Vm[]>;
  /** Removes the VM; a VM already gone is not an error. */
  destroy(vmRef: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Where to log in, with the host key read over a trusted channel and pinned. Waits for sshd. */
  sshTarget(vm: Vm, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<SshTarget>;
  /**
   * Optional, for drivers of fixed capacity (ssh-fleet): holds capacity for the box now, so a request
   * learns at once that there is none (ERR_NO_CAPACITY) rather than its worker failing later. `create`
   * uses what was held; destroying the box's VMs frees it. Idempotent per box.
   */
  reserve?(spec: Pick<VmSpec, 'boxId'>, opts?: { signal?: AbortSignal }): Promise<void>;
  /**
   * Optional, for drivers whose VMs only this host sees (docker: one engine): the engine's stable ID,
   * recorded with each box (`vmLocation`), so hosts sharing a store judge only the VMs they can see.
   * Drivers every host sees alike (ssh-fleet, command) leave it out (or answer null).
   */
  engineId?(opts?: { signal?: AbortSignal }): Promise<string | null>;
  /** Optional (docker): pools prepared ahead. */
  readonly prepared?: PreparedStates;
}
