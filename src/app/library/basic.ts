// The CodeAgentController Basic Usage, as written:
//   new SshProvisioner({ executor, envInjector, repoPath })
//   new AllocatorService({ store, vmManager, provisioner })
//   new DefaultPoolManager({ store, vmManager, allocator })
// Each class is core's, with a constructor that also takes that short form and fills the rest with cac's
// defaults, through the same wiring functions `cac box request` and `cac pool reconcile` use (app/boxes.ts,
// app/provision.ts). The rich forms (core's deps) keep working unchanged.
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { BoxStore } from '../../ports/box-store.js';
import type { Reporter } from '../../ports/reporter.js';
import type { VmDriver } from '../../ports/vm-driver.js';
import type { SshTarget } from '../../domain/box.js';
import type { PoolDefinition } from '../../domain/pool.js';
import { defaultConfig } from '../../config/defaults.js';
import { AllocatorService as CoreAllocator, type AllocatorDeps } from '../../core/boxes/allocator.js';
import { DefaultPoolManager as CorePoolManager, type PoolManagerDeps, type ReconcileResult } from '../../core/boxes/reconciler.js';
import type { ClosableHost, OpenBoxHost } from '../../core/provision/connections.js';
import type { EnvInjector } from '../../core/provision/env.js';
import { SshProvisioner as CoreProvisioner, type SshProvisionerDeps } from '../../core/provision/provisioner.js';
import { pipelineDeps, poolManager } from '../boxes.js';
import { boxHost, sshProvisionerDeps } from '../provision.js';
import type { AppContext } from '../context.js';
import { BackgroundProvisioning } from './background.js';
import { libraryContext } from './context.js';

/**
 * How commands reach a box: a function from the box's SSH target (pinned host key included) to a Host
 * (cac's own SSH is `sshExecutor()`), or one Host used for every box.
 */
export type SshExecutor = Host | ((target: SshTarget) => Host | Promise<Host>);

/** cac's SSH to each box: an SshHost logging in with cac's key pair (in `stateDir`), trusting only the box's pinned host key. */
export function sshExecutor(opts: { stateDir?: string } = {}): (target: SshTarget) => Promise<ClosableHost> {
  const ctx = libraryContext(opts);
  // the default config: a one-host store, so the key pair is the state dir's
  const config = defaultConfig();
  return (target) => boxHost(ctx, config, target);
}

/** The Basic Usage's SshProvisioner arguments. */
export interface BasicProvisionerDeps {
  /** How commands reach each box; default cac's SSH (`sshExecutor()`). */
  executor?: SshExecutor;
  /** Writes the requester's encrypted .env into the checkout; without it a request with `envPayload` is refused. */
  envInjector?: EnvInjector;
  /** Where the checkout lives on the box (absolute, or relative to the box user's home); default `~/cac/<box id>/<repo name>`. */
  repoPath?: string;
  /** Images copied from the local engine into each box's engine before `devcontainer up` (`[boxes] preload_images`); default none. */
  preloadImages?: readonly string[];
  /** cac's state dir (its SSH key pair, mirrors, logs); default $XDG_STATE_HOME/cac. */
  stateDir?: string;
  /** Hears progress and warnings; default silent. */
  reporter?: Reporter;
}

/** The SshProvisioner (repo, devcontainer, agents, env over each box's SSH); also takes `{ executor, envInjector, repoPath }`. */
export class SshProvisioner extends CoreProvisioner {
  /** cac's state dir: boxes get its key pair's public half, and ssh_ready logs in with it. */
  readonly stateDir: string;
  /** The .env injector (short form), so the allocator checks a payload before claiming a box. */
  readonly envInjector: EnvInjector | undefined;

  constructor(deps: SshProvisionerDeps | BasicProvisionerDeps) {
    if ('connections' in deps) {
      super(deps);
      this.stateDir = libraryContext().stateDir;
      this.envInjector = deps.env;
      return;
    }
    const ctx = libraryContext({ ...(deps.stateDir ? { stateDir: deps.stateDir } : {}), ...(deps.reporter ? { reporter: deps.reporter } : {}) });
    const repoPath = deps.repoPath === undefined ? {} : { repoPath: checkedRepoPath(deps.repoPath) };
    const open = deps.executor === undefined ? {} : { open: openerOf(deps.executor) };
    const config = defaultConfig();
    if (deps.preloadImages) config.boxes.preload_images = [...deps.preloadImages];
    super(sshProvisionerDeps(ctx, config, { ...(deps.envInjector ? { env: deps.envInjector } : {}), ...open, ...repoPath }));
    this.stateDir = ctx.stateDir;
    this.envInjector = deps.envInjector;
  }
}

/** The Basic Usage's AllocatorService arguments. */
export interface BasicAllocatorDeps {
  store: BoxStore;
  /** Where boxes run: any VmDriver (cac's DockerVmDriver, SshFleetVmDriver, CommandVmDriver, or your own). */
  vmManager: VmDriver;
  /** The steps that make a box ready to work. */
  provisioner: CoreProvisioner;
  /** Pools requests draw from (their base branch and max_instances); default none: a request's pool is its repo and branch. */
  pools?: readonly PoolDefinition[];
  /** Lease of a claimed box; default 8 h. */
  leaseMs?: number;
  /** Provisioning deadline of a cold box; default 15 min. */
  provisionTimeoutMs?: number;
  /** Hears progress and warnings; default silent. */
  reporter?: Reporter;
}

/**
 * The AllocatorService; also takes `{ store, vmManager, provisioner }`. In that form `requestBox` returns at
 * once and a cold box provisions in the background of this process (vm_create, ssh_ready, then the
 * provisioner's steps), as `cac box request`'s worker does.
 */
export class AllocatorService extends CoreAllocator {
  /** The short form's wiring, for `new DefaultPoolManager({ store, vmManager, allocator })`. */
  readonly basic: { store: BoxStore; vmManager: VmDriver; provisioner: CoreProvisioner; ctx: AppContext } | undefined;
  private readonly background: BackgroundProvisioning | undefined;

  constructor(deps: AllocatorDeps | BasicAllocatorDeps) {
    if (!('vmManager' in deps)) {
      super(deps);
      this.basic = undefined;
      this.background = undefined;
      return;
    }
    const { store, vmManager, provisioner } = deps;
    const ctx = contextOf(provisioner, deps.reporter);
    let made: ReturnType<typeof pipelineDeps> | undefined;
    const background = new BackgroundProvisioning(() => (made ??= pipelineDeps(ctx, defaultConfig(), store, vmManager, { provisioner })), ctx.reporter);
    const injector = provisioner instanceof SshProvisioner ? provisioner.envInjector : undefined;
    super({
      store,
      driver: vmManager,
      afterClaim: provisioner.afterClaim(),
      startProvisioning: background.start,
      checkEnvPayload: (payload) => {
        if (!injector) throw new CacError('ERR_INVALID_INPUT', 'envPayload: this provisioner writes no .env', { hint: 'give the SshProvisioner an envInjector' });
        return injector.check(payload, 'envPayload');
      },
      reporter: ctx.reporter,
      ...(deps.pools ? { pools: deps.pools } : {}),
      ...(deps.leaseMs !== undefined ? { leaseMs: deps.leaseMs } : {}),
      ...(deps.provisionTimeoutMs !== undefined ? { provisionTimeoutMs: deps.provisionTimeoutMs } : {}),
    });
    this.basic = { store, vmManager, provisioner, ctx };
    this.background = background;
  }

  /** Resolves when every cold box this allocator started provisioning in this process has finished. */
  async idle(): Promise<void> {
    await this.background?.idle();
  }
}

/** The Basic Usage's DefaultPoolManager arguments. */
export interface BasicPoolManagerDeps {
  store: BoxStore;
  vmManager: VmDriver;
  /** An AllocatorService made with `{ store, vmManager, provisioner }`: pool boxes run the same steps. */
  allocator: AllocatorService;
}

/**
 * The DefaultPoolManager; also takes `{ store, vmManager, allocator }`. In that form a reconcile is
 * `cac pool reconcile`'s: the same lock, steps (vm_create, ssh_ready, the provisioner's), standby checks and results.
 */
export class DefaultPoolManager extends CorePoolManager {
  /** The short form's pool manager, made as `cac pool reconcile` makes its own (on first use: it needs cac's key pair). */
  private readonly wired: (() => Promise<CorePoolManager>) | undefined;

  constructor(deps: PoolManagerDeps | BasicPoolManagerDeps) {
    if (!('allocator' in deps)) {
      super(deps);
      this.wired = undefined;
      return;
    }
    const basic = deps.allocator.basic;
    if (!basic) {
      throw new CacError('ERR_INVALID_INPUT', 'allocator: expected an AllocatorService made with { store, vmManager, provisioner }', {
        hint: 'or give DefaultPoolManager its steps: { store, driver, steps }',
      });
    }
    // status, pause and resume need no steps; a reconcile goes to the manager the CLI's wiring makes
    super({ store: deps.store, driver: deps.vmManager, steps: [], reporter: basic.ctx.reporter });
    let made: Promise<CorePoolManager> | undefined;
    this.wired = () => {
      made ??= poolManager(basic.ctx, defaultConfig(), deps.store, { withSteps: true, driver: deps.vmManager, provisioner: basic.provisioner }).catch((e) => {
        made = undefined;
        throw e;
      });
      return made;
    };
  }

  override async reconcilePools(pools: readonly PoolDefinition[], opts: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<ReconcileResult> {
    return this.wired ? (await this.wired()).reconcilePools(pools, opts) : super.reconcilePools(pools, opts);
  }

  override async watch(pools: readonly PoolDefinition[], opts: { intervalMs: number; signal: AbortSignal; onRound: (r: ReconcileResult) => void }): Promise<void> {
    return this.wired ? (await this.wired()).watch(pools, opts) : super.watch(pools, opts);
  }
}

/** The provisioner's context (its state dir: the key pair its boxes get), with the allocator's reporter. */
function contextOf(provisioner: CoreProvisioner, reporter: Reporter | undefined): AppContext {
  const stateDir = provisioner instanceof SshProvisioner ? provisioner.stateDir : undefined;
  return libraryContext({ ...(stateDir ? { stateDir } : {}), ...(reporter ? { reporter } : {}) });
}

/** An executor as the provisioner's opener: a shared Host is never closed by cac, a per-box one is when it can be. */
function openerOf(executor: SshExecutor): OpenBoxHost {
  if (typeof executor !== 'function') {
    if (typeof executor?.exec !== 'function')
      throw new CacError('ERR_INVALID_INPUT', 'executor: expected a Host (exec, putFiles) or a function from an SSH target to one', { hint: "omit it for cac's own SSH" });
    return async () => closable(executor, false);
  }
  return async (target) => closable(await executor(target), true);
}

function closable(host: Host, owned: boolean): ClosableHost {
  const close = (host as Partial<ClosableHost>).close;
  return {
    kind: host.kind,
    exec: (argv, opts) => host.exec(argv, opts),
    putFiles: (tar, dest, opts) => host.putFiles(tar, dest, opts),
    close: async () => {
      if (owned && typeof close === 'function') await close.call(host);
    },
  };
}

/** repoPath reaches the box's shell only as a quoted argument; still, a path with control characters is no path. */
function checkedRepoPath(path: string): string {
  if (typeof path !== 'string' || path.trim() === '' || /[\u0000-\u001f\u007f]/.test(path)) {
    throw new CacError('ERR_INVALID_INPUT', `repoPath: expected a path on the box, got ${JSON.stringify(path)}`, { hint: 'e.g. "/home/agent/repo", or omit it for ~/cac/<box id>/<repo name>' });
  }
  return path;
}
