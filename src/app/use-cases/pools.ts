// pool reconcile | status | pause | resume: the [[pools]] of the config, the store and the pool manager.
import type { Config } from '../../config/schema.js';
import { poolKeyOf } from '../../domain/box.js';
import type { PoolStatus } from '../../domain/pool.js';
import type { DefaultPoolManager, ReconcileResult } from '../../core/boxes/reconciler.js';
import { resolvePool } from '../../core/boxes/pools.js';
import { configuredPools, openStore, poolManager, reconcileLockTtlMs } from '../boxes.js';
import type { AppContext } from '../context.js';

export type { PoolStatus } from '../../domain/pool.js';
export type { PoolReport, ReconcileResult } from '../../core/boxes/reconciler.js';

async function withManager<T>(ctx: AppContext, opts: { intervalMs?: number; withSteps: boolean; readOnly?: boolean }, fn: (m: DefaultPoolManager, config: Config) => Promise<T>): Promise<T> {
  const { config } = await ctx.config();
  // bad [[pools]] entries and a bad lock TTL fail before anything opens
  configuredPools(config);
  reconcileLockTtlMs(ctx.env);
  // status and a dry run only read: a read-only store cannot be written by mistake, nor wait for a writer
  const store = await openStore(config, ctx.stateDir, { readOnly: opts.readOnly === true, reporter: ctx.reporter });
  try {
    return await fn(await poolManager(ctx, config, store, opts), config);
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

/** Per pool: standby, provisioning, claimed, failed, paused, latencies. */
export async function poolsStatus(ctx: AppContext): Promise<{ outcome: 'success'; pools: PoolStatus[] }> {
  const pools = await withManager(ctx, { withSteps: false, readOnly: true }, (manager, config) => manager.status(configuredPools(config)));
  return { outcome: 'success', pools };
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
