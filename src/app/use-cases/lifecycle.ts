// Local dev containers: up start stop rebuild down exec list. The workspace is resolved on this machine,
// the engine is the devcontainer CLI here, and agents are injected (and synced back) when `[agents]` is on.
import * as lifecycle from '../../core/lifecycle/up.js';
import { down as coreDown, stop as coreStop } from '../../core/lifecycle/stop.js';
import { exec as coreExec, list as coreList, type ListedContainer } from '../../core/lifecycle/exec.js';
import type { LifecycleDeps, LifecycleResult } from '../../core/lifecycle/types.js';
import { localEnvNames } from '../../core/lifecycle/local-env.js';
import { localFiles } from '../../adapters/engine/local-files.js';
import { agentHooks } from '../agent-hooks.js';
import type { AppContext } from '../context.js';
import { localEngine, localEnvPlan } from '../engine.js';
import { localWorkspace, type WorkspaceInput } from '../workspace.js';

export type { LifecycleResult } from '../../core/lifecycle/types.js';
export type { ListedContainer } from '../../core/lifecycle/exec.js';
export type { WorkspaceInput } from '../workspace.js';

export interface LifecycleInput extends WorkspaceInput {
  /** --no-agents: skip agent injection this time (up, start, rebuild). */
  noAgents?: boolean;
  /** --no-cache: build without the build cache (rebuild). */
  noCache?: boolean;
  /** --volumes: also remove the container's anonymous volumes (down). */
  volumes?: boolean;
}

export type LifecycleCommand = 'up' | 'start' | 'rebuild' | 'stop' | 'down';

// `creates`: the command makes or starts a container, so the CLI resolves containerEnv (refused localEnv names are warned about)
async function prepare(ctx: AppContext, input: WorkspaceInput, withAgents: boolean, creates = false) {
  const { config } = await ctx.config();
  const ws = await localWorkspace(ctx, config, input, creates);
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
  const hooks = withAgents ? agentHooks(ctx, config) : {};
  const deps: LifecycleDeps = { engine, reporter: ctx.reporter, now: Date.now, ...hooks };
  return { ws, deps, engine };
}

/** Runs one lifecycle command on the workspace's dev container. */
export async function runLifecycle(ctx: AppContext, command: LifecycleCommand, input: LifecycleInput): Promise<LifecycleResult> {
  const creates = command === 'up' || command === 'start' || command === 'rebuild';
  const { ws, deps } = await prepare(ctx, input, true, creates);
  const signal = ctx.signal;
  const noAgents = input.noAgents === true;
  switch (command) {
    case 'up':
      return lifecycle.up(deps, ws, { signal, noAgents });
    case 'start':
      return lifecycle.start(deps, ws, { signal, noAgents });
    case 'rebuild':
      return lifecycle.rebuild(deps, ws, { signal, noAgents, noCache: input.noCache === true });
    case 'stop':
      return coreStop(deps, ws, { signal });
    case 'down':
      return coreDown(deps, ws, { signal, volumes: input.volumes === true });
  }
}

/** Runs `argv` in the workspace's running container with cac's stdio (a terminal when both ends are one); resolves with its exit status. */
export async function execInWorkspace(ctx: AppContext, input: WorkspaceInput, argv: readonly string[]): Promise<number> {
  const { ws, engine } = await prepare(ctx, input, false);
  const tty = Boolean((ctx.stdio.stdin as { isTTY?: boolean }).isTTY && ctx.stdio.stdout.isTTY);
  return coreExec(engine, ws, argv, { signal: ctx.signal, tty });
}

/** cac-managed dev containers on this machine (running ones unless `all`). */
export async function listContainers(ctx: AppContext, input: { all?: boolean }): Promise<{ outcome: 'success'; containers: ListedContainer[] }> {
  const { config } = await ctx.config();
  const engine = localEngine(config, ctx.host, ctx.env, ctx.stateDir);
  const containers = await coreList(engine, Date.now(), { all: input.all === true, signal: ctx.signal });
  return { outcome: 'success', containers };
}
