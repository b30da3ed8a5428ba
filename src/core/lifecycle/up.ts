// up / start / rebuild: the devcontainer CLI does the work; cac decides what happened, cleans up an
// interrupted create, and runs agent injection after.
import { CacError, isAbortError, isCacError } from '../../errors.js';
import type { EngineEvent, UpResult, WorkspaceRef } from '../../ports/engine.js';
import type { AgentEvent } from '../agents/result.js';
import type { LifecycleAction, LifecycleDeps, LifecycleOptions, LifecycleResult } from './types.js';

/** `cac up`: creates or reuses the workspace's dev container, then injects agents. */
export async function up(deps: LifecycleDeps, ws: WorkspaceRef, opts: LifecycleOptions = {}): Promise<LifecycleResult> {
  const started = deps.now();
  // no lookup first: the engine says whether it created, started or reused (one engine round trip less)
  const result = await runUp(deps, ws, opts, {});
  return finish(deps, ws, result, result.action, 'start', started, opts);
}

/** `cac start`: starts the workspace's stopped dev container. */
export async function start(deps: LifecycleDeps, ws: WorkspaceRef, opts: LifecycleOptions = {}): Promise<LifecycleResult> {
  const started = deps.now();
  const before = await deps.engine.find(ws, signalOf(opts));
  if (!before) {
    throw new CacError('ERR_NO_CONTAINER', `no dev container for ${ws.folder}`, { hint: `create it with 'cac up ${ws.folder}'` });
  }
  const action: LifecycleAction = before.running ? 'reused' : 'started';
  const result = await runUp(deps, ws, opts, { expectExisting: true });
  return finish(deps, ws, result, action, 'start', started, opts);
}

/** `cac rebuild`: removes and recreates the workspace's dev container. */
export async function rebuild(deps: LifecycleDeps, ws: WorkspaceRef, opts: LifecycleOptions & { noCache?: boolean } = {}): Promise<LifecycleResult> {
  const started = deps.now();
  const result = await runUp(deps, ws, opts, { removeExisting: true, buildNoCache: opts.noCache === true });
  return finish(deps, ws, result, 'rebuilt', 'rebuild', started, opts);
}

async function runUp(deps: LifecycleDeps, ws: WorkspaceRef, opts: LifecycleOptions, flags: { removeExisting?: boolean; buildNoCache?: boolean; expectExisting?: boolean }): Promise<UpResult> {
  const agents = Boolean(deps.agents && !opts.noAgents);
  // planned while the engine looks for a container it may reuse (start never creates: no mounts to plan)
  const planned = deps.agentMounts && agents && !flags.expectExisting ? deps.agentMounts(opts.signal) : undefined;
  planned?.catch(() => undefined); // awaited by the engine or below, maybe after it settles
  // a box's own agent volumes (LifecycleOptions.mounts) come on top
  const extra = flags.expectExisting ? [] : (opts.mounts ?? []);
  const mounts = extra.length === 0 ? planned : planned ? planned.then((p) => [...p, ...extra]) : extra;
  try {
    return await deps.engine.up(ws, { ...flags, ...(mounts ? { mounts } : {}), ...signalOf(opts), onEvent: forward(deps, agents) });
  } catch (e) {
    // an interrupted or failed create must not leave a half-made container behind
    if (flags.removeExisting || (isCacError(e) && e.details?.createdContainer === true)) await removeLeftover(deps, ws, isAbortError(e));
    throw e;
  } finally {
    // an engine that reused the container did not wait: nothing (a volume being filled) is left running
    await planned?.catch(() => undefined);
  }
}

async function removeLeftover(deps: LifecycleDeps, ws: WorkspaceRef, interrupted: boolean): Promise<void> {
  const left = await deps.engine.find(ws).catch(() => undefined);
  if (!left) return;
  await deps.engine.remove(left.id, { volumes: true }).catch(() => undefined);
  deps.reporter.emit({ type: 'info', message: `removed the ${interrupted ? 'interrupted' : 'failed'} container ${left.id.slice(0, 12)}` });
}

async function finish(deps: LifecycleDeps, ws: WorkspaceRef, r: UpResult, action: LifecycleAction, event: AgentEvent, started: number, opts: LifecycleOptions): Promise<LifecycleResult> {
  const target = { containerId: r.containerId, remoteUser: r.remoteUser, remoteWorkspaceFolder: r.remoteWorkspaceFolder, workspace: ws.folder };
  const agents = deps.agents && !opts.noAgents ? await deps.agents(target, event, opts.signal) : [];
  return {
    outcome: 'success',
    action,
    containerId: r.containerId,
    remoteUser: r.remoteUser,
    remoteWorkspaceFolder: r.remoteWorkspaceFolder,
    workspace: ws.folder,
    configFile: ws.configFile,
    durationMs: deps.now() - started,
    agents,
    ...(r.composeProject ? { composeProject: r.composeProject } : {}),
    ...(ws.generatedImage ? { generatedImage: ws.generatedImage } : {}),
  };
}

// The engine's first event: it is at work (the CLI runs), so injection loads meanwhile, not after.
function forward(deps: LifecycleDeps, agents: boolean): (e: EngineEvent) => void {
  let load = agents;
  return (e) => {
    if (load) deps.loadAgents?.();
    load = false;
    deps.reporter.emit(e.type === 'log' ? { type: 'log', source: 'devcontainer', line: e.line } : e);
  };
}

export function signalOf(opts: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}
