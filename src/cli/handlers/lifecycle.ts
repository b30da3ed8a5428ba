// up start stop rebuild down exec list: flags → app → render → exit code.
import { EXIT } from '../../errors.js';
import { validateImageRef } from '../../domain/validate.js';
import type { AppContext } from '../../app/context.js';
import { execInWorkspace, listContainers, runLifecycle, type LifecycleCommand, type LifecycleInput, type LifecycleResult } from '../../app/use-cases/lifecycle.js';
import type { Handler } from '../action.js';
import { renderLifecycle } from './lifecycle-render.js';

type Workspace = [workspace: string | undefined];
type Flags = { configFile?: string | undefined };

function done(ctx: AppContext, r: LifecycleResult): number {
  renderLifecycle(ctx.reporter, r);
  ctx.result(r);
  return EXIT.ok;
}

function lifecycle<O extends Flags>(command: LifecycleCommand, extra: (opts: O) => Omit<LifecycleInput, 'folder' | 'configFile'>): Handler<Workspace, O> {
  return async (ctx, { args: [folder], opts }) => done(ctx, await runLifecycle(ctx, command, { folder, configFile: opts.configFile, ...extra(opts) }));
}

export const up = lifecycle<Flags & { agents: boolean; image?: string | undefined }>('up', (o) => ({
  noAgents: !o.agents,
  ...(o.image !== undefined ? { image: validateImageRef(o.image, '--image') } : {}),
}));
export const start = lifecycle<Flags & { agents: boolean }>('start', (o) => ({ noAgents: !o.agents }));
export const rebuild = lifecycle<Flags & { agents: boolean; cache: boolean }>('rebuild', (o) => ({ noAgents: !o.agents, noCache: !o.cache }));
export const stop = lifecycle<Flags>('stop', () => ({}));
export const down = lifecycle<Flags & { volumes?: true | undefined }>('down', (o) => ({ volumes: o.volumes === true }));

// `cac exec [workspace] -- cmd...`: operands before `--` name the workspace, the words after it are the command
export const exec: Handler<[workspace: string | undefined, command: string[]], Flags> = async (ctx, { args: [workspace, words], opts, rest }) => {
  const operands = [workspace, ...words].filter((a): a is string => typeof a === 'string');
  const [folder] = operands.slice(0, Math.max(0, operands.length - rest.length));
  return execInWorkspace(ctx, { folder, configFile: opts.configFile }, rest);
};

export const list: Handler<[], { all?: true | undefined }> = async (ctx, { opts }) => {
  const [doc, { renderList }] = await Promise.all([listContainers(ctx, { all: opts.all === true }), import('./list-render.js')]);
  ctx.result(doc, renderList(doc.containers));
  return EXIT.ok;
};
