// Agent injection wiring: config + context → AgentDeps with real adapters (host files, a ContainerHost
// over the engine's host), and what the lifecycle hooks (agent-hooks.ts) load when they first run.
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import type { AgentInjector, AgentSyncBack, SyncBackTarget } from '../core/agents/result.js';
import type { AgentDeps } from '../core/agents/deps.js';
import type { HostFiles } from '../core/agents/host-material.js';
import { inject } from '../core/agents/inject.js';
import { syncBack } from '../core/agents/sync-back.js';
import { ContainerHost } from '../adapters/host/container.js';
import { DockerCli } from '../adapters/engine/docker-cli.js';
import { isAbortError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { hostHome } from '../util/paths.js';
import { agentCache } from './agent-cache.js';
import { engineEnv } from './engine.js';
import { placeChecks } from './login-places.js';
import type { AppContext } from './context.js';

export function agentDeps(ctx: AppContext, config: Config): AgentDeps {
  return {
    agents: config.agents,
    env: ctx.env,
    hostHome: hostHome(ctx.env),
    stateDir: ctx.stateDir,
    files: localHostFiles,
    container: ({ containerId, remoteUser }) =>
      new ContainerHost({ host: ctx.host, containerId, ...(remoteUser ? { user: remoteUser } : {}), dockerPath: config.engine.docker_path, dockerEnv: engineEnv(config, ctx.env) }),
    reporter: ctx.reporter,
    // read only: a workspace container is untrusted, so what npm left in it never goes into the cache
    cache: agentCache(ctx, config, { local: false }),
    // which containers and boxes holding a login are live: token forks
    places: placeChecks(ctx, config),
    volumes: true,
  };
}

/** What the lifecycle's agent hooks run: injection after up/start/rebuild, sync-back before stop/down. */
export function lifecycleAgents(ctx: AppContext, config: Config): { agents: AgentInjector; syncBack: AgentSyncBack } {
  const deps = agentDeps(ctx, config);
  return {
    agents: (target, event, signal) => inject(deps, target, { event, ...(signal ? { signal } : {}) }),
    syncBack: (target, signal) => syncBackReported(deps, target, signal),
  };
}

/** Sync-back for stop/down: its problems are warnings, never a failed stop. */
async function syncBackReported(deps: AgentDeps, target: SyncBackTarget, signal?: AbortSignal): Promise<string[]> {
  try {
    const out = await syncBack(deps, target, signal);
    out.warnings.forEach((message) => deps.reporter.emit({ type: 'warning', message: `sync-back: ${message}` }));
    if (out.synced.length) deps.reporter.emit({ type: 'info', message: `Copied back refreshed credentials: ${out.synced.join(', ')}` });
    return out.synced;
  } catch (e) {
    if (isAbortError(e)) throw e;
    deps.reporter.emit({ type: 'warning', message: `sync-back: ${e instanceof Error ? e.message : String(e)}` });
    return [];
  }
}

/** The container's path of the host workspace: its bind mount's destination (docker inspect). */
export async function remoteWorkspaceOf(ctx: AppContext, config: Config, containerId: string, workspace: string): Promise<string | undefined> {
  const docker = new DockerCli({ host: ctx.host, dockerPath: config.engine.docker_path, env: engineEnv(config, ctx.env) });
  const out = await docker.run(['inspect', '--type', 'container', '--format', '{{json .Mounts}}', containerId], ctx.signal);
  const mounts = JSON.parse(out) as Array<{ Source?: string; Destination?: string }> | null;
  return mounts?.find((m) => m.Source === workspace)?.Destination;
}

const localHostFiles: HostFiles = {
  async stat(path) {
    const st = await stat(path).catch(() => undefined);
    if (!st) return undefined;
    return { type: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other', size: st.size, mode: st.mode };
  },
  list: (dir) => readdir(dir),
  read: (path) => readFile(path),
  write: (path, data, mode) => writeFileAtomic(path, data, mode),
};
