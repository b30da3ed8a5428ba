// pool reconcile | status | pause | resume: [[pools]] from config → pool manager → render → exit code.
import { EXIT } from '../../errors.js';
import type { AppContext } from '../../app/context.js';
import { configuredPools, openStore, poolManager, reconcileLockTtlMs } from '../../app/boxes.js';
import type { Config } from '../../config/schema.js';
import type { DefaultPoolManager, ReconcileResult } from '../../core/boxes/reconciler.js';
import { poolKeyOf } from '../../core/boxes/box.js';
import { resolvePool } from '../../core/boxes/pools.js';
import { validateBranch, validateRepoUrl } from '../../core/boxes/validate.js';
import { durationMs } from '../../util/duration.js';
import type { Handler } from '../action.js';
import { renderReconcile, renderStatus } from './pool-render.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

async function withManager<T>(
  ctx: AppContext,
  opts: { intervalMs?: number; withSteps: boolean; readOnly?: boolean },
  fn: (m: DefaultPoolManager, config: Config) => Promise<T>,
): Promise<T> {
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

const exitOf = (r: ReconcileResult) => (r.outcome === 'warnings' ? EXIT.warnings : EXIT.ok);

export const reconcile: Handler = async (ctx, input) => {
  const intervalMs = durationMs(str(input.opts.interval) ?? '60s', '--interval');
  const dryRun = input.opts.dryRun === true;
  return withManager(ctx, { intervalMs, withSteps: !dryRun, readOnly: dryRun }, async (manager, config) => {
    const pools = configuredPools(config);
    if (input.opts.watch !== true || dryRun) {
      const r = await manager.reconcilePools(pools, { dryRun, signal: ctx.signal });
      ctx.result(r, renderReconcile(r));
      return exitOf(r);
    }
    // --watch: one line of JSON per round under --json, the human summary otherwise; ends on Ctrl-C
    try {
      await manager.watch(pools, {
        intervalMs,
        signal: ctx.signal,
        onRound: (r) => (ctx.output.json ? ctx.stdio.stdout.write(`${JSON.stringify(r)}\n`) : ctx.result(r, renderReconcile(r))),
      });
    } catch (e) {
      // Ctrl-C is how a watch ends: exit 130, with no error document after the JSON lines
      if (!ctx.signal.aborted) throw e;
      ctx.reporter.emit({ type: 'info', message: 'stopped watching: interrupted' });
      return EXIT.interrupted;
    }
    return EXIT.ok;
  });
};

export const status: Handler = async (ctx, input) => {
  return withManager(ctx, { withSteps: false, readOnly: true }, async (manager, config) => {
    const rows = await manager.status(configuredPools(config));
    if (input.opts.prometheus === true) {
      const { prometheusText } = await import('../../core/boxes/metrics.js');
      ctx.stdio.stdout.write(await prometheusText(rows));
      return EXIT.ok;
    }
    ctx.result({ outcome: 'success', pools: rows }, renderStatus(rows));
    return EXIT.ok;
  });
};

function pauseHandler(paused: boolean): Handler {
  return async (ctx, input) => {
    const repoUrl = validateRepoUrl(str(input.args[0]) ?? '', '<repo>');
    const given = str(input.opts.branch);
    if (given !== undefined) validateBranch(given, '--branch');
    return withManager(ctx, { withSteps: false }, async (manager, config) => {
      const baseBranch = given ?? resolvePool(configuredPools(config), repoUrl, undefined).baseBranch;
      await (paused ? manager.pausePool(repoUrl, baseBranch) : manager.resumePool(repoUrl, baseBranch));
      const poolKey = poolKeyOf(repoUrl, baseBranch);
      ctx.result({ outcome: 'success', poolKey, repoUrl, baseBranch, paused }, `${paused ? 'paused' : 'resumed'} ${poolKey}`);
      return EXIT.ok;
    });
  };
}

export const pause = pauseHandler(true);
export const resume = pauseHandler(false);
