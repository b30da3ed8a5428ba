// stop / down: idempotent; "nothing to stop" is an outcome, not an error. Refreshed agent credentials
// flow back to the host first.
import type { ContainerInfo, WorkspaceRef } from '../../ports/engine.js';
import type { LifecycleDeps, LifecycleOptions, LifecycleResult } from './types.js';
import { signalOf } from './up.js';

/** `cac stop`: stops the workspace's dev container (agents' refreshed credentials synced back first). */
export async function stop(deps: LifecycleDeps, ws: WorkspaceRef, opts: LifecycleOptions = {}): Promise<LifecycleResult> {
  const started = deps.now();
  const c = await deps.engine.find(ws, signalOf(opts));
  if (!c?.running) return noop(deps, ws, c, started, c ? 'nothing to stop: the container is not running' : 'nothing to stop: no container');
  const syncedBack = await syncBack(deps, ws, c, opts);
  deps.reporter.emit({ type: 'step.start', id: 'stop', title: 'Stopping container' });
  await deps.engine.stop(c.id, signalOf(opts));
  deps.reporter.emit({ type: 'step.ok', id: 'stop' });
  return { ...base(ws, c, started, deps), action: 'stopped', syncedBack };
}

/** `cac down`: removes the workspace's dev container (and its volumes with `volumes`). */
export async function down(deps: LifecycleDeps, ws: WorkspaceRef, opts: LifecycleOptions & { volumes?: boolean } = {}): Promise<LifecycleResult> {
  const started = deps.now();
  const c = await deps.engine.find(ws, signalOf(opts));
  if (!c) return noop(deps, ws, c, started, 'nothing to remove: no container');
  const syncedBack = c.running ? await syncBack(deps, ws, c, opts) : [];
  deps.reporter.emit({ type: 'step.start', id: 'remove', title: 'Removing container' });
  await deps.engine.remove(c.id, { volumes: opts.volumes === true, ...signalOf(opts) });
  deps.reporter.emit({ type: 'step.ok', id: 'remove' });
  return { ...base(ws, c, started, deps), action: 'removed', syncedBack };
}

async function syncBack(deps: LifecycleDeps, ws: WorkspaceRef, c: ContainerInfo, opts: LifecycleOptions): Promise<string[]> {
  if (!deps.syncBack || !c.remoteUser) return [];
  return deps.syncBack({ containerId: c.id, remoteUser: c.remoteUser, workspace: ws.folder }, opts.signal);
}

function noop(deps: LifecycleDeps, ws: WorkspaceRef, c: ContainerInfo | undefined, started: number, message: string): LifecycleResult {
  deps.reporter.emit({ type: 'info', message });
  return { ...base(ws, c, started, deps), action: 'none', message };
}

function base(ws: WorkspaceRef, c: ContainerInfo | undefined, started: number, deps: LifecycleDeps) {
  return {
    outcome: 'success' as const,
    containerId: c?.id ?? null,
    remoteUser: c?.remoteUser ?? null,
    remoteWorkspaceFolder: null,
    workspace: ws.folder,
    configFile: ws.configFile,
    durationMs: deps.now() - started,
    agents: [],
    ...(ws.generatedImage ? { generatedImage: ws.generatedImage } : {}),
  };
}
