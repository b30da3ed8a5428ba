// box request | list | show | release, and the hidden worker `box _provision <id>` that provisions a
// cold box in the background: flags → validated input → store + allocator → render → exit code.
import { CacError, EXIT } from '../../errors.js';
import type { AppContext } from '../../app/context.js';
import { allocator, createDriver, openStore, provisionDeps, workerLog } from '../../app/boxes.js';
import type { AllocatorService } from '../../core/boxes/allocator.js';
import { provisionBox } from '../../core/boxes/provision.js';
import { LIVE_STATES } from '../../core/boxes/pools.js';
import { validateBoxId, validateBranch, validateDurationMs, validateRepoUrl } from '../../core/boxes/validate.js';
import type { BoxStore } from '../../ports/box-store.js';
import { parseDuration } from '../../util/duration.js';
import type { CommandInput, Handler } from '../action.js';
import { grantLine } from './box-lines.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Opens the store, runs `fn`, always closes the store. */
async function withAllocator<T>(ctx: AppContext, fn: (alloc: AllocatorService, store: BoxStore) => Promise<T>): Promise<T> {
  const { config } = await ctx.config();
  const store = await openStore(config, ctx.stateDir);
  try {
    return await fn(await allocator(ctx, config, store), store);
  } finally {
    await store.close();
  }
}

const timeoutOf = (input: CommandInput) => {
  const text = str(input.opts.timeout) ?? '10m';
  return validateDurationMs(parseDuration(text), text, '--timeout');
};

const idOf = (input: CommandInput) => validateBoxId(str(input.args[0]) ?? '', '<id>');

export const request: Handler = async (ctx, input) => {
  const repoUrl = validateRepoUrl(str(input.opts.repo) ?? '', '--repo');
  const branch = str(input.opts.branch);
  if (branch !== undefined) validateBranch(branch, '--branch');
  const timeoutMs = timeoutOf(input);
  if (input.opts.envFile !== undefined) {
    throw new CacError('ERR_NOT_IMPLEMENTED', '--env-file is not supported yet: the .env step arrives with the box provisioner', { hint: 'request the box without --env-file' });
  }
  const requestedBy = str(input.opts.for) ?? ctx.env.USER ?? 'cac';
  return withAllocator(ctx, async (alloc) => {
    const grant = await alloc.requestBox({ repoUrl, ...(branch !== undefined ? { branch } : {}), requestedBy });
    const box = input.opts.wait === true && !grant.warm ? await alloc.waitForBox(grant.box.id, { timeoutMs, signal: ctx.signal }) : grant.box;
    ctx.reporter.emit({ type: 'info', message: grantLine(box, grant.warm, workerLog(ctx.stateDir, box.id)) });
    ctx.result({ outcome: 'success', warm: grant.warm, box }, box.id);
    return EXIT.ok;
  });
};

export const list: Handler = async (ctx, input) => {
  const all = input.opts.all === true;
  return withAllocator(ctx, async (alloc) => {
    const boxes = await alloc.listBoxes(all ? {} : { states: LIVE_STATES.filter((s) => s !== 'failed') });
    const human = ctx.output.json ? undefined : (await import('./box-render.js')).renderBoxList(boxes, Date.now());
    ctx.result({ outcome: 'success', boxes }, human);
    return EXIT.ok;
  });
};

export const show: Handler = async (ctx, input) => {
  const id = idOf(input);
  const timeoutMs = timeoutOf(input);
  return withAllocator(ctx, async (alloc) => {
    const box = input.opts.wait === true ? await alloc.waitForBox(id, { timeoutMs, signal: ctx.signal }) : await alloc.getBox(id);
    const human = ctx.output.json ? undefined : (await import('./box-render.js')).renderBox(box);
    ctx.result({ outcome: 'success', box }, human);
    return EXIT.ok;
  });
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

/** Hidden: the detached worker started by `box request` for a cold box (its output goes to the box's log). */
export const provisionWorker: Handler = async (ctx, input) => {
  const id = idOf(input);
  const { config } = await ctx.config();
  const store = await openStore(config, ctx.stateDir);
  try {
    const deps = await provisionDeps(ctx, config, store, await createDriver(ctx, config, store));
    const r = await provisionBox(deps, id, { signal: ctx.signal });
    const human = `${id} ${r.outcome}${r.outcome === 'failed' ? `: ${r.error}` : ''}`;
    ctx.result({ outcome: r.outcome === 'failed' ? 'error' : 'success', provision: r.outcome, box: r.box }, human);
    return r.outcome === 'failed' ? EXIT.failed : EXIT.ok;
  } finally {
    await store.close();
  }
};
