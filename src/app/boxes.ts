// Boxes wiring: config + context → the box store, the VM driver, cac's key pair, the provisioning
// pipeline's steps (vm_create, ssh_ready, then the SshProvisioner's unless `[boxes] provision = "vm"`), the
// allocator and the pool manager, and spawning the box worker that runs a cold box's pipeline.
// Knobs for tests and operators, read from the environment (README "Remote boxes and warm pools"):
//   CAC_TEST_RUN_LABEL=<id>       every box VM also carries cac.test-run=<id>, and only those are listed
//   CAC_RECONCILE_LOCK_TTL=<dur>  lease of the reconcile lock (default 30s)
//   (CAC_BOX_INNER_DOCKER=0, plain SSH boxes without an inner engine, is read by drivers.ts)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { CacError } from '../errors.js';
import type { BoxStore } from '../ports/box-store.js';
import type { Reporter } from '../ports/reporter.js';
import type { VmDriver } from '../ports/vm-driver.js';
import type { Box } from '../domain/box.js';
import { AllocatorService, type AllocatorDeps } from '../core/boxes/allocator.js';
import type { DefaultPoolManager } from '../core/boxes/reconciler.js';
import type { ProvisionDeps, ProvisionStep } from '../core/provision/pipeline.js';
import type { StandbyCheck } from '../core/boxes/reconcile-apply.js';
import type { ActivityProbe } from '../core/boxes/activity-probe.js';
import type { FreshnessDeps } from '../core/boxes/freshen-apply.js';
import type { EnvInjector } from '../core/provision/env.js';
import type { SshProvisioner } from '../core/provision/provisioner.js';
import type { PreparePoolDeps } from '../core/boxes/prepare-pool.js';
import { configPoolFields, validatePools, type PoolDefinition } from '../domain/pool.js';
import { durationMs } from '../domain/duration.js';
import type { AppContext } from './context.js';

// Modules a warm claim does not need (driver, key pair, provisioning steps, reconciler) load on first
// use: `cac box request` answers from the store alone.

/** Where the store lives: `[store] url`, else `$XDG_STATE_HOME/cac/boxes.db`. */
export function storeLocation(config: Config, stateDir: string): { kind: 'redis' | 'sqlite'; location: string } {
  const url = config.store.url;
  if (url?.startsWith('redis')) return { kind: 'redis', location: url };
  return { kind: 'sqlite', location: resolve(url?.startsWith('sqlite:') ? url.slice('sqlite:'.length) : join(stateDir, 'boxes.db')) };
}

/**
 * Opens the configured store (the Redis client or the SQLite file is loaded only here). `readOnly`: for
 * commands that only read (a SQLite file is then opened read-only, so they never wait for a writer).
 * `reporter` hears, once each, of Redis records that do not decode (listings skip them).
 */
export async function openStore(config: Config, stateDir: string, opts: { readOnly?: boolean; reporter?: Reporter } = {}): Promise<BoxStore> {
  const { kind, location } = storeLocation(config, stateDir);
  if (kind === 'redis') {
    const [{ Redis }, { RedisAgentBoxStore, storeUnreachable }] = await Promise.all([import('ioredis'), import('../adapters/store/redis.js')]);
    // fail fast and clearly when Redis is down, instead of ioredis retrying for a long while
    const client = new Redis(location, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 3 });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (e) {
      client.disconnect();
      throw storeUnreachable(location, e);
    }
    const { reporter } = opts;
    const onCorrupt = (e: CacError) => reporter?.emit({ type: 'warning', message: `${e.message}; skipped`, ...(e.hint ? { hint: e.hint } : {}) });
    return new RedisAgentBoxStore(client, { onCorrupt });
  }
  const { SqliteAgentBoxStore } = await import('../adapters/store/sqlite.js');
  try {
    return new SqliteAgentBoxStore(location, opts.readOnly ? { readOnly: true } : {});
  } catch (e) {
    if (e instanceof CacError) throw e;
    throw new CacError('ERR_STORE', `cannot open the box store ${location}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: "'cac doctor' checks the store; or point [store] url at another file",
    });
  }
}

/** Labels that scope VMs to this store (and test run): another store's boxes are never our orphans. */
export function driverScope(config: Config, stateDir: string, env: AppContext['env']): Record<string, string> {
  const { location } = storeLocation(config, stateDir);
  const store = createHash('sha256').update(location).digest('hex').slice(0, 12);
  return { 'cac.store': store, ...(env.CAC_TEST_RUN_LABEL ? { 'cac.test-run': env.CAC_TEST_RUN_LABEL } : {}) };
}

/** The configured VM driver (the one factory in drivers.ts), scoped to this store and test run. */
export async function createDriver(ctx: AppContext, config: Config, store: BoxStore): Promise<VmDriver> {
  const { createVmDriver } = await import('./drivers.js');
  const warn = (message: string) => ctx.reporter.emit({ type: 'warning', message });
  return createVmDriver(config, { host: ctx.host, env: ctx.env, stateDir: ctx.stateDir, store, scope: driverScope(config, ctx.stateDir, ctx.env), warn });
}

/** `[[pools]]` as pool definitions, validated with their config field names. */
export function configuredPools(config: Config): PoolDefinition[] {
  const pools = config.pools.map((p, i) => ({
    repoUrl: p.repo_url,
    baseBranch: p.base_branch,
    minStandby: p.min_standby,
    maxInstances: p.max_instances,
    ...(p.max_staleness !== undefined ? { maxStalenessMs: durationMs(p.max_staleness, `pools[${i}].max_staleness`, 'stored') } : {}),
  }));
  return validatePools(pools, configPoolFields);
}

/** The provisioning pipeline's dependencies: driver, the boxes' SSH identity (box-identity.ts), steps; `close` ends its SSH connections. */
export async function pipelineDeps(
  ctx: AppContext,
  config: Config,
  store: BoxStore,
  driver: VmDriver,
  opts: { env?: EnvInjector; provisioner?: SshProvisioner } = {},
): Promise<ProvisionDeps & { close(): Promise<void>; provisioner?: SshProvisioner }> {
  const [{ boxIdentity }, { sshLogin }, { boxSteps }] = await Promise.all([import('./box-identity.js'), import('../adapters/vm/ssh-probe.js'), import('../core/provision/vm-steps.js')]);
  // loaded when a step first needs it: a round with nothing to make asks for no master key
  const keys = () => boxIdentity(ctx, config, store);
  // a box's dev container mounts the engine's agent volumes through its box (docker driver, provisioned, agents on)
  const shareAgents = config.boxes.driver === 'docker' && config.boxes.provision !== 'vm' && config.agents.enabled;
  const readOnlyVolumes = shareAgents ? async (signal: AbortSignal) => (await import('./agent-cache.js')).boxReadOnlyVolumes(ctx, config, signal) : undefined;
  const steps = boxSteps({
    driver,
    sshPublicKey: async () => (await keys()).publicKey,
    login: async (target, o) => sshLogin(target, (await keys()).privateKey, o),
    ...(readOnlyVolumes ? { readOnlyVolumes } : {}),
  });
  const base = { store, driver, now: Date.now, reporter: ctx.reporter };
  if (config.boxes.provision === 'vm') return { ...base, steps, close: async () => undefined };
  const provisioner = opts.provisioner ?? (await import('./provision.js')).sshProvisioner(ctx, config, opts);
  return { ...base, steps: [...steps, ...provisioner.steps()], settle: provisioner.settle, close: () => provisioner.close(), provisioner };
}

/** What `cac pool prepare` needs: the driver, the steps that make a box's images, and its SSH connections. */
export async function prepareDeps(ctx: AppContext, config: Config, driver: VmDriver): Promise<PreparePoolDeps & { finish(): Promise<void> }> {
  const [{ ensureKeyPair }, { sshLogin }, { sshReadyStep }, { sshProvisioner }, { newBoxId }] = await Promise.all([
    import('./ssh-key.js'),
    import('../adapters/vm/ssh-probe.js'),
    import('../core/provision/vm-steps.js'),
    import('./provision.js'),
    import('../util/ids.js'),
  ]);
  const keys = await ensureKeyPair(ctx.stateDir);
  const provisioner = sshProvisioner(ctx, config);
  const ssh = sshReadyStep({ driver, sshPublicKey: keys.publicKey, login: (target, o) => sshLogin(target, keys.privateKey, o) });
  return {
    driver,
    steps: [ssh, ...provisioner.prepareSteps()],
    host: provisioner.host,
    close: provisioner.settle,
    source: provisioner.source,
    hash: provisioner.hashInputs,
    sshPublicKey: keys.publicKey,
    labels: {},
    reporter: ctx.reporter,
    now: Date.now,
    newId: () => newBoxId().replace(/^box_/, ''),
    timeoutMs: durationMs(config.boxes.provision_timeout, 'boxes.provision_timeout'),
    finish: () => provisioner.close(),
  };
}

/** The steps after a warm claim (branch switch, .env) and how to close their SSH connections; none for `provision = "vm"`. */
export async function afterClaimSteps(ctx: AppContext, config: Config, opts: { env?: EnvInjector } = {}): Promise<{ steps: ProvisionStep[]; close(): Promise<void> }> {
  if (config.boxes.provision === 'vm') return { steps: [], close: async () => undefined };
  const provisioner = (await import('./provision.js')).sshProvisioner(ctx, config, opts);
  return { steps: provisioner.afterClaim(), close: () => provisioner.close() };
}

/** `CAC_RECONCILE_LOCK_TTL` in ms (exit 2 when it is not a duration a timer can keep); undefined when unset. */
export function reconcileLockTtlMs(env: AppContext['env']): number | undefined {
  const text = env.CAC_RECONCILE_LOCK_TTL;
  return text ? durationMs(text, 'CAC_RECONCILE_LOCK_TTL') : undefined;
}

/** A pool manager with the config's timers; `intervalMs` (the reconcile interval) paces the backoff. */
export async function poolManager(
  ctx: AppContext,
  config: Config,
  store: BoxStore,
  opts: { intervalMs?: number; withSteps: boolean; driver?: VmDriver; provisioner?: SshProvisioner },
): Promise<DefaultPoolManager> {
  const driver = opts.driver ?? (await createDriver(ctx, config, store));
  const provision = opts.withSteps ? await pipelineDeps(ctx, config, store, driver, opts.provisioner ? { provisioner: opts.provisioner } : {}) : undefined;
  const lockTtlMs = reconcileLockTtlMs(ctx.env);
  // a round that may change boxes also checks its standby boxes (a dry run or status logs in nowhere)
  let checkStandby: StandbyCheck | undefined;
  let probeActivity: ActivityProbe | undefined;
  if (opts.withSteps) {
    const [{ standbyCheck }, { boxIdentity }] = await Promise.all([import('./standby-check.js'), import('./box-identity.js')]);
    const identity = () => boxIdentity(ctx, config, store);
    // a round over configured pools logs in to boxes or makes them: a missing master key (shared store) fails it before any box is touched
    if (config.pools.length > 0) await identity();
    checkStandby = standbyCheck(async () => (await identity()).privateKey);
    if (config.boxes.idle_timeout !== undefined) probeActivity = (await import('./activity-probe.js')).activityProbe(async () => (await identity()).privateKey);
  }
  const { DefaultPoolManager } = await import('../core/boxes/reconciler.js');
  return new DefaultPoolManager({
    store,
    driver,
    steps: provision?.steps ?? [],
    ...(provision?.settle ? { settle: provision.settle } : {}),
    ...(checkStandby ? { checkStandby } : {}),
    ...(probeActivity ? { probeActivity } : {}),
    ...(provision?.provisioner ? { freshness: freshnessDeps(provision.provisioner) } : {}),
    reporter: ctx.reporter,
    options: {
      provisionTimeoutMs: durationMs(config.boxes.provision_timeout, 'boxes.provision_timeout'),
      orphanGraceMs: durationMs(config.boxes.orphan_grace, 'boxes.orphan_grace', 'stored'),
      keepDestroyedMs: durationMs(config.boxes.keep_destroyed, 'boxes.keep_destroyed', 'stored'),
      ...(config.boxes.idle_timeout !== undefined ? { idleTimeoutMs: durationMs(config.boxes.idle_timeout, 'boxes.idle_timeout', 'stored') } : {}),
      maxLive: config.boxes.max_live ?? null,
      ...(opts.intervalMs ? { backoffIntervalMs: opts.intervalMs } : {}),
      ...(lockTtlMs ? { lockTtlMs } : {}),
    },
  });
}

/** Keeping pools at their branch head: the head read where cac runs, the update run over the box's SSH connection. */
function freshnessDeps(provisioner: SshProvisioner): FreshnessDeps {
  const { source } = provisioner;
  return {
    head: async (pool, o) => ({ commit: await source.head(pool.repoUrl, pool.baseBranch, o) }),
    behind: (pool, from, to, o) => source.behind(pool.repoUrl, from, to, o),
    update: (box, signal) => provisioner.update(box, signal),
    settle: provisioner.settle,
  };
}

/**
 * An allocator whose cold boxes are provisioned by a detached `cac box _provision <id>` worker, or by
 * `startProvisioning` (the library provisions in its own process).
 */
export async function allocator(
  ctx: AppContext,
  config: Config,
  store: BoxStore,
  opts: { afterClaim?: readonly ProvisionStep[]; driver?: VmDriver } & Partial<Pick<AllocatorDeps, 'startProvisioning' | 'checkEnvPayload'>> = {},
): Promise<AllocatorService> {
  return new AllocatorService({
    store,
    driver: opts.driver ?? lazyDriver(config.boxes.driver, () => createDriver(ctx, config, store)),
    pools: configuredPools(config),
    leaseMs: durationMs(config.boxes.lease_ttl, 'boxes.lease_ttl', 'stored'),
    limits: { maxLive: config.boxes.max_live ?? null, maxPerClaimant: config.boxes.max_per_claimant ?? null },
    provisionTimeoutMs: durationMs(config.boxes.provision_timeout, 'boxes.provision_timeout'),
    pollMs: 100,
    reporter: ctx.reporter,
    ...(opts.afterClaim ? { afterClaim: opts.afterClaim } : {}),
    ...(opts.checkEnvPayload ? { checkEnvPayload: opts.checkEnvPayload } : {}),
    startProvisioning: opts.startProvisioning ?? (async (box, o) => spawnWorker(ctx, box, o.envPayload)),
  });
}

/** The driver, made on first use (a release needs it, a warm claim does not). */
function lazyDriver(name: string, make: () => Promise<VmDriver>): VmDriver {
  let made: Promise<VmDriver> | undefined;
  const driver = () => (made ??= make());
  return {
    name,
    create: async (spec, opts) => (await driver()).create(spec, opts),
    get: async (ref, opts) => (await driver()).get(ref, opts),
    list: async (opts) => (await driver()).list(opts),
    destroy: async (ref, opts) => (await driver()).destroy(ref, opts),
    sshTarget: async (vm, opts) => (await driver()).sshTarget(vm, opts),
    reserve: async (spec, opts) => (await driver()).reserve?.(spec, opts),
    engineId: async (opts) => (await driver()).engineId?.(opts) ?? null,
  };
}

/** The worker's log: `$XDG_STATE_HOME/cac/logs/box-<id>.log`. */
export function workerLog(stateDir: string, boxId: string): string {
  return join(stateDir, 'logs', `box-${boxId}.log`);
}

/**
 * Starts `cac box _provision <id>` detached (it outlives this process), its output in the state dir. The
 * requester's .env reaches it still ENCRYPTED, through its stdin (never argv, never a file).
 */
function spawnWorker(ctx: AppContext, box: Box, envPayload: string | undefined): void {
  const entry = process.argv[1];
  if (!entry) throw new CacError('ERR_WORKER', 'cannot find the cac entry point to start a provisioning worker', { hint: 'run cac through its bin (bin/cac)' });
  const log = workerLog(ctx.stateDir, box.id);
  mkdirSync(join(ctx.stateDir, 'logs'), { recursive: true, mode: 0o700 });
  const fd = openSync(log, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [entry, '--config', ctx.configFile, 'box', '_provision', box.id, ...(envPayload !== undefined ? ['--env-stdin'] : [])], {
      detached: true,
      stdio: [envPayload !== undefined ? 'pipe' : 'ignore', fd, fd],
      env: Object.fromEntries(Object.entries(ctx.env).filter((e): e is [string, string] => e[1] !== undefined)),
    });
    // a worker that cannot start leaves the box `requested`: reconcile fails it at its deadline
    child.once('error', () => {});
    // the pipe keeps this process alive until the envelope is written; a worker gone early is an EPIPE
    child.stdin?.on('error', () => {});
    child.stdin?.end(envPayload);
    child.unref();
  } finally {
    closeSync(fd);
  }
}
