// Agent injection wiring: config + context → AgentDeps with real adapters (host files, a ContainerHost
// over the engine's host), and the lifecycle hooks when `[agents] enabled`.
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import type { DevcontainerEngine } from '../ports/engine.js';
import type { AgentInjector, AgentSyncBack, SyncBackTarget } from '../core/agents/result.js';
import type { AgentDeps } from '../core/agents/deps.js';
import type { HostFiles } from '../core/agents/host-material.js';
import { inject } from '../core/agents/inject.js';
import { syncBack } from '../core/agents/sync-back.js';
import { ContainerHost } from '../adapters/host/container.js';
import { DockerCli } from '../adapters/engine/docker-cli.js';
import { DirAgentCache } from '../adapters/engine/agent-cache.js';
import { DockerAgentVolumes } from '../adapters/engine/agent-volumes.js';
import { effectiveAgents } from '../core/agents/effective-config.js';
import { mountArg, planAgentVolumes, wantedAgents } from '../core/agents/volumes.js';
import { volumeTarget } from '../domain/agent-volume.js';
import type { AgentVolume } from '../ports/agent-volumes.js';
import { isAbortError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { join } from 'node:path';
import { cacheDir, hostHome } from '../util/paths.js';
import { engineEnv } from './engine.js';
import { placeChecks } from './login-places.js';
import type { AppContext } from './context.js';

export async function agentHooks(
  ctx: AppContext,
  config: Config,
  _engine: DevcontainerEngine,
): Promise<{ agents?: AgentInjector; syncBack?: AgentSyncBack; agentMounts?: (signal?: AbortSignal) => Promise<string[]> }> {
  if (!config.agents.enabled) return {};
  const deps = agentDeps(ctx, config);
  return {
    agents: (target, event, signal) => inject(deps, target, { event, ...(signal ? { signal } : {}) }),
    agentMounts: (signal) => agentMounts(ctx, config, signal),
    ...(config.agents.sync_back ? { syncBack: (target, signal) => syncBackReported(deps, target, signal) } : {}),
  };
}

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

/** The read-only agent volumes of the local engine. */
export function agentVolumes(ctx: AppContext, config: Config): DockerAgentVolumes {
  return new DockerAgentVolumes({ host: ctx.host, dockerPath: config.engine.docker_path, env: engineEnv(config, ctx.env) });
}

/** The `--mount` values of a new dev container: the engine's agent volume of each pinned version. */
async function agentMounts(ctx: AppContext, config: Config, signal?: AbortSignal): Promise<string[]> {
  return (await engineAgentVolumes(ctx, config, signal)).map(mountArg);
}

/**
 * What a new box container of the docker driver sees read-only: the same agent volumes, at the path dev
 * containers see them, so the box's own dev container can mount them from there (core/provision/agent-volumes.ts).
 */
export async function boxReadOnlyVolumes(ctx: AppContext, config: Config, signal?: AbortSignal): Promise<Array<{ volume: string; target: string }>> {
  return (await engineAgentVolumes(ctx, config, signal)).map((v) => ({ volume: v.name, target: volumeTarget(v) }));
}

/**
 * The engine's agent volume of each pinned version, filled first (once per engine) from the tar cache
 * when it has the version. A problem is a warning: the container is made without them and injection
 * restores from the tar cache as before.
 */
async function engineAgentVolumes(ctx: AppContext, config: Config, signal?: AbortSignal): Promise<AgentVolume[]> {
  try {
    const cache = agentCache(ctx, config, { local: false });
    const wanted = wantedAgents(effectiveAgents(config.agents, ctx.env, hostHome(ctx.env)), await cache.resolved());
    if (wanted.length === 0) return [];
    const volumes = agentVolumes(ctx, config);
    const [have, cached] = await Promise.all([volumes.list(signal), cache.list()]);
    const plan = planAgentVolumes(wanted, have, cached);
    const mount = [...plan.mount];
    for (const key of plan.fill) {
      const tar = await cache.open(key);
      if (!tar) continue;
      ctx.reporter.emit({ type: 'info', message: `Filling the agent volume of ${key.kind} ${key.version} (${key.platform}) from the cache (once per engine)` });
      mount.push(await volumes.fill(key, tar, signal));
    }
    return mount;
  } catch (e) {
    if (isAbortError(e)) throw e;
    ctx.reporter.emit({ type: 'warning', message: `agent volumes not used: ${e instanceof Error ? e.message : String(e)}`, hint: 'agents are restored from the agent cache instead' });
    return [];
  }
}

/**
 * The agent CLI cache of this machine. `local`: prefixes installed in a container of the local engine are
 * tarred out into it: only `agents cache warm`'s throwaway container, of an image the user chose. Dev
 * containers (local or on a box) only read it.
 */
export function agentCache(ctx: AppContext, config: Config, opts: { local: boolean }): DirAgentCache {
  return new DirAgentCache({
    dir: join(cacheDir(ctx.env), 'agents'),
    host: ctx.host,
    ...(opts.local ? { docker: { path: config.engine.docker_path, env: { ...ctx.childEnv, ...engineEnv(config, ctx.env) } } } : {}),
  });
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
