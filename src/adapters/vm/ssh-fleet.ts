// The ssh-fleet driver: a fixed set of machines from `[[boxes.fleet]]`. "Create" leases a free healthy
// host for the box through the store (atomic: two cac processes never lease one host), checks it with
// an SSH login against its pinned key (failing → unhealthy, next host) and leaves a state file there;
// "destroy" cleans the box off the host and returns the host to the fleet.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import pLimit from 'p-limit';
import type { SshTarget } from '../../domain/box.js';
import { CacError, isAbortError, isCacError } from '../../errors.js';
import type { FleetHost, FleetLeases } from '../../ports/box-store.js';
import type { ExecResult } from '../../ports/host.js';
import type { Vm, VmDriver, VmSpec } from '../../ports/vm-driver.js';
import { expandHome } from '../../util/paths.js';
import { fleetVmRef, fleetVms, parseFleetVmRef, parseStateFile, SAFE_BOX_ID, type FleetHostSpec, type HostProbe } from './fleet-hosts.js';
import { claimScript, cleanupScript, OCCUPIED, READ_STATE_SCRIPT } from './fleet-scripts.js';

export interface SshFleetDriverOptions {
  /** The configured machines, in the order they are leased (fleetHosts(config.boxes.fleet)). */
  hosts: readonly FleetHostSpec[];
  /** The BoxStore (its fleet leases). */
  leases: FleetLeases;
  /** cac's own private key: the login for hosts without an identity_file. */
  privateKey: () => Promise<string>;
  /** Reads an identity_file (default: the local file, `~` expanded). */
  readIdentity?: (path: string) => Promise<string>;
  /** Budget of a health check / listing login; default 15 s. */
  probeTimeoutMs?: number;
  /** Runs a script on a host over SSH (default: runOverSsh, an SshHost with the pinned host key). */
  run?: typeof runOverSsh;
  /** Agent credential files (relative to a home) wiped from the host and the box's containers before the host is freed. */
  wipe?: readonly string[];
  /** Labels in every box's state file, and the filter of orphans: another store's boxes are not ours. */
  scope?: Record<string, string>;
  now?: () => number;
}

/** What logging in to the hosts needs (doctor uses it without a store). */
export type FleetLogin = Pick<SshFleetDriverOptions, 'hosts' | 'privateKey' | 'readIdentity' | 'probeTimeoutMs' | 'run'>;

/** Budget of a cleanup (removing containers can take a while). */
const CLEANUP_TIMEOUT_MS = 300_000;
const PROBE_CONCURRENCY = 8;

/** One host's answer to a health check, for doctor. */
export interface FleetHostCheck {
  hostId: string;
  ok: boolean;
  detail: string;
}

/** The ssh-fleet VmDriver: a fixed set of machines reached over SSH, one box per host, leased through the store. */
export class SshFleetVmDriver implements VmDriver {
  readonly name = 'ssh-fleet';
  private readonly byId: Map<string, FleetHostSpec>;
  private readonly now: () => number;

  constructor(private readonly opts: SshFleetDriverOptions) {
    this.byId = new Map(opts.hosts.map((h) => [h.id, h]));
    this.now = opts.now ?? Date.now;
  }

  private readonly creating = new Map<string, Promise<Vm>>();

  async create(spec: VmSpec, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<Vm> {
    // Concurrent creates of one box share one attempt: a second attempt failing its login would release
    // the lease the first one returned and lease the box a second host.
    const running = this.creating.get(spec.boxId);
    if (running) return running;
    const attempt = this.createOnce(spec, opts).finally(() => this.creating.delete(spec.boxId));
    this.creating.set(spec.boxId, attempt);
    return attempt;
  }

  private async createOnce(spec: VmSpec, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<Vm> {
    if (!SAFE_BOX_ID.test(spec.boxId)) throw new CacError('ERR_INVALID_INPUT', `box id ${JSON.stringify(spec.boxId)} cannot name a folder on a fleet host`);
    const tried = new Set<string>();
    const skipped: string[] = [];
    for (;;) {
      const candidates = this.opts.hosts.map((h) => h.id).filter((id) => !tried.has(id));
      const hostId = await this.opts.leases.leaseFleetHost(candidates, spec.boxId, this.now());
      if (hostId === null) throw await this.noCapacity(skipped);
      const host = this.byId.get(hostId);
      if (!host || tried.has(hostId)) {
        throw new CacError('ERR_VM_CREATE', `box ${spec.boxId} holds fleet host ${hostId}, which is no longer usable`, { hint: 'release the box to free the host' });
      }
      tried.add(hostId);
      const claimed = await this.claim(host, spec, opts);
      if (claimed.ok) return claimed.vm;
      if (claimed.unhealthy) await this.opts.leases.setFleetHostHealth(hostId, false, claimed.reason);
      await this.opts.leases.releaseFleetHost(hostId, spec.boxId);
      skipped.push(`${hostId}: ${claimed.reason}`);
    }
  }

  /** Leases a free healthy host to the box now (create logs in to it later); ERR_NO_CAPACITY when none is free. */
  async reserve(spec: Pick<VmSpec, 'boxId'>): Promise<void> {
    const hostId = await this.opts.leases.leaseFleetHost(
      this.opts.hosts.map((h) => h.id),
      spec.boxId,
      this.now(),
    );
    if (hostId === null) throw await this.noCapacity([]);
  }

  async get(vmRef: string, opts: { signal?: AbortSignal } = {}): Promise<Vm | undefined> {
    const ref = parseFleetVmRef(vmRef);
    if (!ref) return undefined;
    const lease = (await this.opts.leases.listFleetHosts()).filter((l) => l.hostId === ref.hostId);
    const host = this.byId.get(ref.hostId);
    const probes = new Map<string, HostProbe>(host ? [[host.id, await probe(this.opts, host, opts.signal)]] : []);
    return fleetVms(lease, probes, this.opts.scope).find((vm) => vm.vmRef === vmRef);
  }

  /** Asks every host (and, unless `readOnly`, refreshes its health: a host that answers is healthy again). */
  async list(opts: { signal?: AbortSignal; readOnly?: boolean } = {}): Promise<Vm[]> {
    const leases = await this.opts.leases.listFleetHosts();
    const probes = await probeAll(this.opts, opts.signal);
    if (!opts.readOnly) await Promise.all(this.opts.hosts.map((h) => this.refreshHealth(h.id, leases, probes.get(h.id))));
    return fleetVms(leases, probes, this.opts.scope);
  }

  async destroy(vmRef: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const ref = parseFleetVmRef(vmRef);
    if (!ref) throw new CacError('ERR_INVALID_INPUT', `${JSON.stringify(vmRef)} is not an ssh-fleet VM (user@host:port#box_id)`);
    const host = this.byId.get(ref.hostId);
    // a host no longer configured cannot be cleaned: only its lease is returned
    if (host) {
      let r: ExecResult;
      try {
        r = await ssh(this.opts, host, cleanupScript(ref.boxId, this.opts.wipe ?? []), { timeoutMs: CLEANUP_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) });
      } catch (e) {
        if (isAbortError(e) || !isCacError(e)) throw e;
        throw new CacError('ERR_VM_DESTROY', `cleaning box ${ref.boxId} off ${host.id} failed: ${e.message}`, { hint: e.hint ?? "run 'cac doctor'", cause: e });
      }
      if (r.exitCode !== 0) {
        throw new CacError('ERR_VM_DESTROY', `cleaning box ${ref.boxId} off ${host.id} failed: exit ${r.exitCode}: ${tail(r.stderr)}`, {
          hint: `the login user needs Docker access (or passwordless sudo) on ${host.target.host}`,
        });
      }
    }
    await this.opts.leases.releaseFleetHost(ref.hostId, ref.boxId);
  }

  async sshTarget(vm: Vm): Promise<SshTarget> {
    const host = this.byId.get(parseFleetVmRef(vm.vmRef)?.hostId ?? '');
    if (!host) throw new CacError('ERR_VM_GONE', `${vm.vmRef} is not on a host of [[boxes.fleet]]`);
    return host.target;
  }

  private async claim(host: FleetHostSpec, spec: VmSpec, opts: { idempotencyKey: string; signal?: AbortSignal }): Promise<{ ok: true; vm: Vm } | { ok: false; unhealthy: boolean; reason: string }> {
    const labels = { ...spec.labels, ...this.opts.scope };
    const state = { boxId: spec.boxId, poolKey: spec.poolKey, idempotencyKey: opts.idempotencyKey, labels, createdAt: this.now() };
    let r: ExecResult;
    try {
      r = await ssh(this.opts, host, claimScript(state, spec.sshPublicKey), opts.signal ? { signal: opts.signal } : {});
    } catch (e) {
      if (isAbortError(e) || !isCacError(e)) throw e;
      return { ok: false, unhealthy: true, reason: e.message };
    }
    const file = parseStateFile(r.stdout);
    if (r.exitCode === OCCUPIED) return { ok: false, unhealthy: false, reason: `carries box ${file?.boxId ?? '?'}, which holds no lease (an orphan until reconcile removes it)` };
    if (r.exitCode !== 0 || file?.boxId !== spec.boxId) return { ok: false, unhealthy: true, reason: `claiming failed: exit ${r.exitCode}: ${tail(r.stderr)}` };
    return { ok: true, vm: { vmRef: fleetVmRef(host.id, spec.boxId), boxId: spec.boxId, poolKey: file.poolKey, createdAt: file.createdAt, state: 'running' } };
  }

  private async refreshHealth(hostId: string, leases: readonly FleetHost[], probe: HostProbe | undefined): Promise<void> {
    const healthy = leases.find((l) => l.hostId === hostId)?.healthy ?? true;
    if (probe?.reachable && !healthy) await this.opts.leases.setFleetHostHealth(hostId, true);
    if (probe && !probe.reachable && healthy) await this.opts.leases.setFleetHostHealth(hostId, false, probe.error);
  }

  private async noCapacity(skipped: readonly string[]): Promise<CacError> {
    const leases = await this.opts.leases.listFleetHosts();
    const busy = leases.filter((l) => l.boxId !== null && this.byId.has(l.hostId)).length;
    const unhealthy = leases.filter((l) => !l.healthy && l.boxId === null && this.byId.has(l.hostId)).length;
    return new CacError('ERR_NO_CAPACITY', `no free fleet host: ${this.opts.hosts.length} configured, ${busy} leased, ${unhealthy} unhealthy`, {
      hint: skipped.length ? `skipped now: ${skipped.join('; ')}` : "release a box, add hosts to [[boxes.fleet]], or run 'cac doctor'",
      details: { skipped },
    });
  }
}

interface RunOptions {
  privateKey: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One login, one `sh -c script`; rejects with the SshHost's errors (ERR_HOST_KEY_MISMATCH, ERR_SSH_AUTH, ERR_SSH_CONNECT…). */
async function runOverSsh(target: SshTarget, script: string, opts: RunOptions): Promise<ExecResult> {
  const { SshHost } = await import('../host/ssh.js');
  const host = new SshHost({ ...target, privateKey: Buffer.from(opts.privateKey) }, { connectTimeoutMs: Math.min(opts.timeoutMs, 20_000) });
  try {
    return await host.exec(['sh', '-c', script], { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  } finally {
    await host.close();
  }
}

/** A login on every host with its pinned key (for doctor); changes nothing. */
export async function checkFleetHosts(login: FleetLogin, signal?: AbortSignal): Promise<FleetHostCheck[]> {
  const probes = await probeAll(login, signal);
  return login.hosts.map((h) => {
    const p = probes.get(h.id);
    if (!p?.reachable) return { hostId: h.id, ok: false, detail: p?.error ?? 'not asked' };
    return { hostId: h.id, ok: true, detail: p.state ? `carries box ${p.state.boxId}` : 'free' };
  });
}

async function ssh(login: FleetLogin, host: FleetHostSpec, script: string, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<ExecResult> {
  const privateKey = host.identityFile ? await (login.readIdentity ?? readIdentity)(host.identityFile) : await login.privateKey();
  return (login.run ?? runOverSsh)(host.target, script, { privateKey, timeoutMs: opts.timeoutMs ?? login.probeTimeoutMs ?? 15_000, ...(opts.signal ? { signal: opts.signal } : {}) });
}

/** Logs in and reads the state file; a host that does not let us in is unreachable, with why. */
async function probe(login: FleetLogin, host: FleetHostSpec, signal?: AbortSignal): Promise<HostProbe> {
  try {
    const r = await ssh(login, host, READ_STATE_SCRIPT, signal ? { signal } : {});
    return r.exitCode === 0 ? { reachable: true, state: parseStateFile(r.stdout) } : { reachable: false, error: `exit ${r.exitCode}: ${tail(r.stderr)}` };
  } catch (e) {
    if (isAbortError(e) || !isCacError(e)) throw e;
    return { reachable: false, error: e.message };
  }
}

async function probeAll(login: FleetLogin, signal?: AbortSignal): Promise<Map<string, HostProbe>> {
  const limit = pLimit(PROBE_CONCURRENCY);
  return new Map(await Promise.all(login.hosts.map((h) => limit(async () => [h.id, await probe(login, h, signal)] as const))));
}

async function readIdentity(path: string): Promise<string> {
  try {
    return await readFile(expandHome(path, homedir()), 'utf8');
  } catch (e) {
    throw new CacError('ERR_CONFIG_READ', `cannot read identity_file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint: 'fix [[boxes.fleet]] identity_file' });
  }
}

function tail(stderr: string): string {
  return stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ') || '(no stderr)';
}
