// The first two steps of every box's provisioning pipeline: vm_create (the driver makes or finds the VM
// tagged with the box id) and ssh_ready (a real login with cac's key against the pinned host key). The
// SshProvisioner's steps (repo, devcontainer, agents, env) follow unless `[boxes] provision = "vm"`.
import { CacError } from '../../errors.js';
import type { VmDriver, VmSpec } from '../../ports/vm-driver.js';
import type { SshTarget, VmLocation } from '../../domain/box.js';
import type { ProvisionStep } from './pipeline.js';

/** Logs in to `target` with cac's key, refusing any host key but the pinned one (ERR_HOST_KEY_MISMATCH). */
export type SshLogin = (target: SshTarget, opts: { signal: AbortSignal; timeoutMs: number }) => Promise<void>;

/** What vm_create and ssh_ready need: the driver, cac's public key, the login. */
export interface BoxStepOptions {
  driver: VmDriver;
  /** The public half of cac's key pair, given to the VM at create (or its loader: a round that makes no box never loads it). */
  sshPublicKey: string | (() => Promise<string>);
  /** Extra labels for every VM (e.g. cac.test-run). */
  labels?: Record<string, string>;
  login: SshLogin;
  /** How long sshd may take to answer; default 60 s. */
  sshTimeoutMs?: number;
  /** Engine volumes a new VM sees read-only (the agent CLIs' volumes); never throws. */
  readOnlyVolumes?: (signal: AbortSignal) => Promise<NonNullable<VmSpec['readOnlyVolumes']>>;
}

/** The `vm_create` step: the driver makes (or finds) the box's VM, labelled with the box id. */
export function vmCreateStep(opts: BoxStepOptions): ProvisionStep {
  return {
    name: 'vm_create',
    async run(ctx) {
      const { box } = ctx;
      const sshPublicKey = typeof opts.sshPublicKey === 'string' ? opts.sshPublicKey : await opts.sshPublicKey();
      const volumes = opts.readOnlyVolumes ? await opts.readOnlyVolumes(ctx.signal) : [];
      const spec = { boxId: box.id, poolKey: box.poolKey, labels: opts.labels ?? {}, sshPublicKey, ...(volumes.length ? { readOnlyVolumes: volumes } : {}) };
      ctx.vm = await opts.driver.create(spec, { idempotencyKey: box.idempotencyKey, signal: ctx.signal });
      return { vmRef: ctx.vm.vmRef, vmLocation: await vmLocationOf(opts.driver, ctx.signal) };
    },
  };
}

/** The `ssh_ready` step: a real login with cac's key against the pinned host key. */
export function sshReadyStep(opts: BoxStepOptions): ProvisionStep {
  return {
    name: 'ssh_ready',
    async run(ctx) {
      const ref = ctx.vm?.vmRef ?? ctx.box.vmRef;
      const vm = ctx.vm ?? (ref ? await opts.driver.get(ref, { signal: ctx.signal }) : undefined);
      if (!vm || vm.state === 'gone') throw new CacError('ERR_VM_GONE', `the VM of box ${ctx.box.id} is gone`);
      const timeoutMs = opts.sshTimeoutMs ?? 60_000;
      const target = await opts.driver.sshTarget(vm, { signal: ctx.signal, timeoutMs });
      await opts.login(target, { signal: ctx.signal, timeoutMs });
      return { sshTarget: target };
    },
  };
}

/** Where this host's driver makes VMs (docker: its engine's ID), recorded with every box. */
export async function vmLocationOf(driver: VmDriver, signal?: AbortSignal): Promise<VmLocation> {
  return { driver: driver.name, engine: (await driver.engineId?.(signal ? { signal } : {})) ?? null };
}

/** The steps every box runs, in order. */
export function boxSteps(opts: BoxStepOptions): ProvisionStep[] {
  return [vmCreateStep(opts), sshReadyStep(opts)];
}
