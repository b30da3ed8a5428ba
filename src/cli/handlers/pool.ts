// pool reconcile | status | pause | resume: flags (validated here, the edge) → app → render → exit code.
import { EXIT } from '../../errors.js';
import { durationMs } from '../../domain/duration.js';
import { validateBranch, validateRepoUrl } from '../../domain/validate.js';
import { poolsStatus, preparePools, reconcilePools, setPoolPaused, watchPools, type ReconcileResult } from '../../app/use-cases/pools.js';
import type { Handler } from '../action.js';
import { renderPrepare, renderReconcile, renderStatus } from './pool-render.js';

const exitOf = (r: ReconcileResult) => (r.outcome === 'warnings' ? EXIT.warnings : EXIT.ok);

export const reconcile: Handler<[], { dryRun?: true | undefined; watch?: true | undefined; interval: string }> = async (ctx, { opts }) => {
  const intervalMs = durationMs(opts.interval, '--interval');
  const dryRun = opts.dryRun === true;
  if (opts.watch !== true || dryRun) {
    const r = await reconcilePools(ctx, { dryRun, intervalMs });
    ctx.result(r, renderReconcile(r));
    return exitOf(r);
  }
  // --watch: one line of JSON per round under --json, the human summary otherwise; ends on Ctrl-C
  try {
    await watchPools(ctx, {
      intervalMs,
      onRound: (r) => (ctx.output.json ? ctx.stdio.stdout.write(`${JSON.stringify(r)}\n`) : ctx.result(r, renderReconcile(r))),
    });
  } catch (e) {
    // Ctrl-C is how a watch ends: exit 130, with no error document after the JSON lines
    if (!ctx.signal.aborted) throw e;
    ctx.reporter.emit({ type: 'info', message: 'stopped watching: interrupted' });
    return EXIT.interrupted;
  }
  return EXIT.ok;
};

export const status: Handler<[], { prometheus?: true | undefined }> = async (ctx, { opts }) => {
  const doc = await poolsStatus(ctx);
  if (opts.prometheus === true) {
    const { prometheusText } = await import('../../output/prometheus.js');
    ctx.stdio.stdout.write(await prometheusText(doc.pools));
    return EXIT.ok;
  }
  ctx.result(doc, renderStatus(doc.pools));
  return EXIT.ok;
};

export const prepare: Handler<[], { repo?: string | undefined; branch?: string | undefined; force?: true | undefined }> = async (ctx, { opts }) => {
  const repoUrl = opts.repo === undefined ? undefined : validateRepoUrl(opts.repo, '--repo');
  if (opts.branch !== undefined) validateBranch(opts.branch, '--branch');
  const doc = await preparePools(ctx, { repoUrl, baseBranch: opts.branch, force: opts.force === true });
  ctx.result(doc, renderPrepare(doc.pools));
  return EXIT.ok;
};

function pauseHandler(paused: boolean): Handler<[repo: string], { branch?: string | undefined }> {
  return async (ctx, { args: [repo], opts }) => {
    const repoUrl = validateRepoUrl(repo, '<repo>');
    if (opts.branch !== undefined) validateBranch(opts.branch, '--branch');
    const doc = await setPoolPaused(ctx, { repoUrl, baseBranch: opts.branch, paused });
    ctx.result(doc, `${paused ? 'paused' : 'resumed'} ${doc.poolKey}`);
    return EXIT.ok;
  };
}

export const pause = pauseHandler(true);
export const resume = pauseHandler(false);
