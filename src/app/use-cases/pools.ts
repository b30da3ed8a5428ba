// pool reconcile | status | pause | resume: the [[pools]] of the config, the store and the pool manager.
import type { Config } from '../../config/schema.js';
import { poolKeyOf } from '../../domain/box.js';
import type { PoolDefinition, PoolStatus } from '../../domain/pool.js';
import type { DefaultPoolManager, ReconcileResult } from '../../core/boxes/reconciler.js';
import { resolvePool } from '../../core/boxes/pools.js';
import { configuredPools, createDriver, openStore, poolManager, prepareDeps, reconcileLockTtlMs } from '../boxes.js';
import type { BoxStore } from '../../ports/box-store.js';
import type { PrepareReport } from '../../core/boxes/prepare-pool.js';
import type { AppContext } from '../context.js';

export type { PoolStatus } from '../../domain/pool.js';
export type { PoolReport, ReconcileResult } from '../../core/boxes/reconciler.js';
export type { PrepareReport } from '../../core/boxes/prepare-pool.js';

async function withManager<T>(
  ctx: AppContext,
  opts: { intervalMs?: number; withSteps: boolean; readOnly?: boolean },
  fn: (m: DefaultPoolManager, config: Config, store: BoxStore) => Promise<T>,
): Promise<T> {
  const { config } = await ctx.config();
  // bad [[pools]] entries and a bad lock TTL fail before anything opens
  configuredPools(config);
  reconcileLockTtlMs(ctx.env);
  // status and a dry run only read: a read-only store cannot be written by mistake, nor wait for a writer
  const store = await openStore(config, ctx.stateDir, { readOnly: opts.readOnly === true, reporter: ctx.reporter });
  try {
    return await fn(await poolManager(ctx, config, store, opts), config, store);
  } finally {
    await store.close();
  }
}

export interface ReconcileInput {
  /** Print the plan and change nothing. */
  dryRun: boolean;
  /** Time between --watch rounds, also the failure backoff unit. */
  intervalMs: number;
}

/** One reconcile of every configured pool (a dry run plans only). */
export async function reconcilePools(ctx: AppContext, input: ReconcileInput): Promise<ReconcileResult> {
  return withManager(ctx, { intervalMs: input.intervalMs, withSteps: !input.dryRun, readOnly: input.dryRun }, (manager, config) =>
    manager.reconcilePools(configuredPools(config), { dryRun: input.dryRun, signal: ctx.signal }),
  );
}

/** Reconciles every `intervalMs` until interrupted; `onRound` gets each round's result. */
export async function watchPools(ctx: AppContext, input: { intervalMs: number; onRound: (r: ReconcileResult) => void }): Promise<void> {
  await withManager(ctx, { intervalMs: input.intervalMs, withSteps: true }, (manager, config) =>
    manager.watch(configuredPools(config), { intervalMs: input.intervalMs, signal: ctx.signal, onRound: input.onRound }),
  );
}

/** Per pool: standby, provisioning, claimed, failed, paused, latencies, prepared images. */
export async function poolsStatus(ctx: AppContext): Promise<{ outcome: 'success'; pools: PoolStatus[] }> {
  const pools = await withManager(ctx, { withSteps: false, readOnly: true }, async (manager, config, store) => {
    const rows = await manager.status(configuredPools(config));
    const prepared = await preparedByPool(ctx, config, store);
    const now = Date.now();
    return rows.map((r) => {
      const p = prepared?.get(r.poolKey);
      return { ...r, prepared: p ? { configHash: p.configHash, preparedAt: p.preparedAt, ageMs: now - p.preparedAt } : null };
    });
  });
  return { outcome: 'success', pools };
}

/** The newest prepared state per pool; undefined when the driver keeps none or its engine does not answer (status still shows the rest). */
async function preparedByPool(ctx: AppContext, config: Config, store: BoxStore) {
  const driver = await createDriver(ctx, config, store);
  if (!driver.prepared) return undefined;
  const { newestPrepared } = await import('../../core/boxes/prepared.js');
  try {
    return newestPrepared(await driver.prepared.list({ signal: ctx.signal }));
  } catch (e) {
    ctx.reporter.emit({ type: 'warning', message: `prepared images unknown: ${e instanceof Error ? e.message : String(e)}` });
    return undefined;
  }
}

/** The configured pool of a repo (and base branch); an unconfigured one (cold boxes only) may be prepared too. */
function poolOf(pools: readonly PoolDefinition[], repoUrl: string, baseBranch: string | undefined): PoolDefinition {
  const r = resolvePool(pools, repoUrl, baseBranch);
  return pools.find((p) => p.repoUrl === repoUrl && p.baseBranch === r.baseBranch) ?? { repoUrl, baseBranch: r.baseBranch, minStandby: 0, maxInstances: 0 };
}

export interface PrepareInput {
  /** Only the pool of this repo (and --branch); default every configured pool. */
  repoUrl?: string | undefined;
  baseBranch?: string | undefined;
  /** Prepare even when the config hash is unchanged. */
  force: boolean;
}

export interface PrepareResult {
  outcome: 'success';
  pools: PrepareReport[];
  durationMs: number;
}

/** `cac pool prepare`: the images of each pool made once per devcontainer-config hash (core/boxes/prepare-pool.ts). */
export async function preparePools(ctx: AppContext, input: PrepareInput): Promise<PrepareResult> {
  const started = Date.now();
  const { config } = await ctx.config();
  const configured = configuredPools(config);
  const pools = input.repoUrl === undefined ? configured : [poolOf(configured, input.repoUrl, input.baseBranch)];
  const store = await openStore(config, ctx.stateDir, { readOnly: true, reporter: ctx.reporter });
  try {
    const [{ preparePool, preparedStatesOf }, driver] = await Promise.all([import('../../core/boxes/prepare-pool.js'), createDriver(ctx, config, store)]);
    preparedStatesOf(driver);
    const deps = await prepareDeps(ctx, config, driver);
    try {
      const reports: PrepareReport[] = [];
      for (const pool of pools) reports.push(await preparePool(deps, pool, { force: input.force, signal: ctx.signal }));
      return { outcome: 'success', pools: reports, durationMs: Date.now() - started };
    } finally {
      await deps.finish();
    }
  } finally {
    await store.close();
  }
}

export interface PauseResult {
  outcome: 'success';
  poolKey: string;
  repoUrl: string;
  baseBranch: string;
  paused: boolean;
}

/** Pauses (no creates) or resumes a pool; its base branch defaults to the repo's pool in [[pools]], else main. */
export async function setPoolPaused(ctx: AppContext, input: { repoUrl: string; baseBranch?: string | undefined; paused: boolean }): Promise<PauseResult> {
  return withManager(ctx, { withSteps: false }, async (manager, config) => {
    const baseBranch = input.baseBranch ?? resolvePool(configuredPools(config), input.repoUrl, undefined).baseBranch;
    await (input.paused ? manager.pausePool(input.repoUrl, baseBranch) : manager.resumePool(input.repoUrl, baseBranch));
    return { outcome: 'success', poolKey: poolKeyOf(input.repoUrl, baseBranch), repoUrl: input.repoUrl, baseBranch, paused: input.paused };
  });
}
