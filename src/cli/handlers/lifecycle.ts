// up start stop rebuild down exec list: flags → workspace → core → render.
import { EXIT } from '../../errors.js';
import { localEngine, localEnvPlan } from '../../app/engine.js';
import { agentHooks } from '../../app/agents.js';
import { localFiles } from '../../adapters/engine/local-files.js';
import { resolveWorkspace } from '../../core/lifecycle/workspace.js';
import { localEnvNames } from '../../core/lifecycle/local-env.js';
import * as core from '../../core/lifecycle/up.js';
import { stop as coreStop, down as coreDown } from '../../core/lifecycle/stop.js';
import { exec as coreExec, list as coreList } from '../../core/lifecycle/exec.js';
import type { LifecycleDeps, LifecycleResult } from '../../core/lifecycle/types.js';
import type { AppContext } from '../../app/context.js';
import type { CommandInput, Handler } from '../action.js';
import { renderLifecycle, renderList } from './lifecycle-render.js';

// `creates`: the command makes or starts a container, so the CLI resolves containerEnv (refused localEnv names are warned about)
async function prepare(ctx: AppContext, input: CommandInput, withAgents: boolean, creates = false) {
  const { config } = await ctx.config();
  const folder = typeof input.args[0] === 'string' ? input.args[0] : process.cwd();
  const configFile = typeof input.opts.configFile === 'string' ? input.opts.configFile : undefined;
  const ws = await resolveWorkspace(localFiles, folder, configFile);
  const names = localEnvNames((await localFiles.readText(ws.configFile)) ?? '');
  const localEnv = localEnvPlan(config, ctx.env, names, ctx.childEnv);
  for (const name of creates ? localEnv.refused : []) {
    ctx.reporter.emit({
      type: 'warning',
      message: `${ws.configFile}: \${localEnv:${name}} resolves empty: cac never passes CAC_* or credential variables to the devcontainer CLI`,
      hint: 'forward a credential with [agents.<kind>] env_forward (it reaches the container off every command line)',
    });
  }
  const engine = localEngine(config, ctx.host, ctx.env, ctx.stateDir, localEnv);
  const hooks = withAgents ? await agentHooks(ctx, config, engine) : {};
  const deps: LifecycleDeps = { engine, reporter: ctx.reporter, now: Date.now, ...hooks };
  return { ws, deps, engine, config };
}

function done(ctx: AppContext, r: LifecycleResult): number {
  renderLifecycle(ctx.reporter, r);
  ctx.result(r);
  return EXIT.ok;
}

const noAgents = (input: CommandInput) => input.opts.agents === false;

export const up: Handler = async (ctx, input) => {
  const { ws, deps } = await prepare(ctx, input, true, true);
  return done(ctx, await core.up(deps, ws, { signal: ctx.signal, noAgents: noAgents(input) }));
};

export const start: Handler = async (ctx, input) => {
  const { ws, deps } = await prepare(ctx, input, true, true);
  return done(ctx, await core.start(deps, ws, { signal: ctx.signal, noAgents: noAgents(input) }));
};

export const rebuild: Handler = async (ctx, input) => {
  const { ws, deps } = await prepare(ctx, input, true, true);
  return done(ctx, await core.rebuild(deps, ws, { signal: ctx.signal, noAgents: noAgents(input), noCache: input.opts.cache === false }));
};

export const stop: Handler = async (ctx, input) => {
  const { ws, deps } = await prepare(ctx, input, true);
  return done(ctx, await coreStop(deps, ws, { signal: ctx.signal }));
};

export const down: Handler = async (ctx, input) => {
  const { ws, deps } = await prepare(ctx, input, true);
  return done(ctx, await coreDown(deps, ws, { signal: ctx.signal, volumes: input.opts.volumes === true }));
};

export const exec: Handler = async (ctx, input) => {
  // `cac exec [workspace] -- cmd...`: operands before `--` name the workspace
  const before = input.args.flat().filter((a): a is string => typeof a === 'string').slice(0, Math.max(0, countOperands(input) - input.rest.length));
  const { ws, engine } = await prepare(ctx, { ...input, args: before }, false);
  const tty = Boolean((ctx.stdio.stdin as { isTTY?: boolean }).isTTY && ctx.stdio.stdout.isTTY);
  return coreExec(engine, ws, input.rest, { signal: ctx.signal, tty });
};

function countOperands(input: CommandInput): number {
  return input.args.flat().filter((a) => typeof a === 'string').length;
}

export const list: Handler = async (ctx, input) => {
  const { config } = await ctx.config();
  const engine = localEngine(config, ctx.host, ctx.env, ctx.stateDir);
  const rows = await coreList(engine, Date.now(), { all: input.opts.all === true, signal: ctx.signal });
  ctx.result({ outcome: 'success', containers: rows }, renderList(rows));
  return EXIT.ok;
};
