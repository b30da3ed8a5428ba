// box request | list | show | release, and the hidden worker `box _provision <id>` that provisions a
// cold box in the background: flags → validated input → store + allocator → render → exit code.
import { EXIT } from '../../errors.js';
import type { AppContext } from '../../app/context.js';
import { allocator, createDriver, openStore, provisionDeps, workerLog } from '../../app/boxes.js';
import type { ProvisionStep } from '../../core/boxes/provision.js';
import type { AllocatorService } from '../../core/boxes/allocator.js';
import { provisionBox } from '../../core/boxes/provision.js';
import { LIVE_STATES } from '../../core/boxes/pools.js';
import { validateBoxId, validateBranch, validateClaimant, validateRepoUrl } from '../../core/boxes/validate.js';
import type { BoxStore } from '../../ports/box-store.js';
import { durationMs } from '../../util/duration.js';
import { readAll } from '../../util/read-all.js';
import type { CommandInput, Handler } from '../action.js';
import { grantLine } from './box-lines.js';
import { requestEnv } from './box-env.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Opens the store (read-only for commands that only read), runs `fn`, always closes the store. */
async function withAllocator<T>(
  ctx: AppContext,
  fn: (alloc: AllocatorService, store: BoxStore) => Promise<T>,
  opts: { afterClaim?: readonly ProvisionStep[]; readOnly?: boolean } = {},
): Promise<T> {
  const { afterClaim, readOnly } = opts;
  const { config } = await ctx.config();
  const store = await openStore(config, ctx.stateDir, { readOnly: readOnly === true, reporter: ctx.reporter });
  try {
    return await fn(await allocator(ctx, config, store, afterClaim ? { afterClaim } : {}), store);
  } finally {
    await store.close();
  }
}

const timeoutOf = (input: CommandInput) => durationMs(str(input.opts.timeout) ?? '10m', '--timeout');

const idOf = (input: CommandInput) => validateBoxId(str(input.args[0]) ?? '', '<id>');

export const request: Handler = async (ctx, input) => {
  const repoUrl = validateRepoUrl(str(input.opts.repo) ?? '', '--repo');
  const branch = str(input.opts.branch);
  if (branch !== undefined) validateBranch(branch, '--branch');
  const timeoutMs = timeoutOf(input);
  const forFlag = str(input.opts.for);
  const requestedBy = forFlag !== undefined ? validateClaimant(forFlag, '--for') : validateClaimant(ctx.env.USER ?? 'cac', '--for (from $USER)');
  const env = await requestEnv(ctx, (await ctx.config()).config, str(input.opts.envFile));
  const envPayload = env.envPayload !== undefined ? { envPayload: env.envPayload } : {};
  try {
    return await withAllocator(
      ctx,
      async (alloc) => {
        const wait = input.opts.wait === true ? { waitForCapacity: { timeoutMs, signal: ctx.signal } } : {};
        const until = Date.now() + timeoutMs;
        const grant = await alloc.requestBox({ repoUrl, ...(branch !== undefined ? { branch } : {}), requestedBy, ...envPayload, ...wait });
        const box = input.opts.wait === true && !grant.warm ? await alloc.waitForBox(grant.box.id, { timeoutMs: Math.max(1, until - Date.now()), signal: ctx.signal }) : grant.box;
        ctx.reporter.emit({ type: 'info', message: grantLine(box, grant.warm, workerLog(ctx.stateDir, box.id)) });
        ctx.result({ outcome: 'success', warm: grant.warm, box }, box.id);
        return EXIT.ok;
      },
      { afterClaim: env.afterClaim },
    );
  } finally {
    await env.close();
  }
};

export const list: Handler = async (ctx, input) => {
  const all = input.opts.all === true;
  return withAllocator(ctx, async (alloc) => {
    const boxes = await alloc.listBoxes(all ? {} : { states: LIVE_STATES.filter((s) => s !== 'failed') });
    const human = ctx.output.json ? undefined : (await import('./box-render.js')).renderBoxList(boxes, Date.now());
    ctx.result({ outcome: 'success', boxes }, human);
    return EXIT.ok;
  }, { readOnly: true });
};

export const show: Handler = async (ctx, input) => {
  const id = idOf(input);
  const timeoutMs = timeoutOf(input);
  return withAllocator(ctx, async (alloc) => {
    const box = input.opts.wait === true ? await alloc.waitForBox(id, { timeoutMs, signal: ctx.signal }) : await alloc.getBox(id);
    const human = ctx.output.json ? undefined : (await import('./box-render.js')).renderBox(box);
    ctx.result({ outcome: 'success', box }, human);
    return EXIT.ok;
  }, { readOnly: true });
};

export const release: Handler = async (ctx, input) => {
  const id = idOf(input);
  return withAllocator(ctx, async (alloc) => {
    const box = await alloc.releaseBox(id, { signal: ctx.signal });
    ctx.reporter.emit({ type: 'info', message: `released ${box.id}: ${box.state}` });
    ctx.result({ outcome: 'success', box });
    return EXIT.ok;
  });
};

/**
 * Hidden: the detached worker started by `box request` for a cold box (its output goes to the box's log).
 * With --env-stdin its stdin holds the requester's ENCRYPTED .env, written by a final `env` step.
 */
export const provisionWorker: Handler = async (ctx, input) => {
  const id = idOf(input);
  const { config } = await ctx.config();
  const store = await openStore(config, ctx.stateDir, { reporter: ctx.reporter });
  let deps: Awaited<ReturnType<typeof provisionDeps>> | undefined;
  try {
    const env = input.opts.envStdin === true ? await workerEnv(ctx, store, id) : undefined;
    deps = await provisionDeps(ctx, config, store, await createDriver(ctx, config, store), env ? { env: env.injector } : {});
    const r = await provisionBox(deps, id, { signal: ctx.signal, ...(env ? { envPayload: env.envelope } : {}) });
    const human = `${id} ${r.outcome}${r.outcome === 'failed' ? `: ${r.error}` : ''}`;
    ctx.result({ outcome: r.outcome === 'failed' ? 'error' : 'success', provision: r.outcome, box: r.box }, human);
    return r.outcome === 'failed' ? EXIT.failed : EXIT.ok;
  } finally {
    await deps?.close();
    await store.close();
  }
};

// A payload the worker cannot use fails the box at once (its requester may be waiting on it).
async function workerEnv(ctx: AppContext, store: BoxStore, id: string) {
  try {
    return await (await import('../../app/secrets.js')).boxEnv(ctx, await readAll(ctx.stdio.stdin), 'the .env payload on stdin');
  } catch (e) {
    const box = await store.get(id);
    const error = `env: ${e instanceof Error ? e.message : String(e)}`;
    if (box?.state === 'requested') await store.transition(id, { from: 'requested', fence: box.fence, to: 'failed', patch: { error }, now: Date.now() });
    throw e;
  }
}

