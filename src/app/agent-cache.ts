// The agent CLI cache and the engine's read-only agent volumes of this machine, and the volumes a new
// dev container mounts. Kept apart from agents.ts: `cac up` plans its mounts before it spawns the
// devcontainer CLI, and injection (which loads much more) is not needed until after.
import type { Config } from '../config/schema.js';
import { DirAgentCache } from '../adapters/engine/agent-cache.js';
import { DockerAgentVolumes } from '../adapters/engine/agent-volumes.js';
import { effectiveAgents } from '../core/agents/effective-config.js';
import { mountArg, planAgentVolumes, wantedAgents } from '../core/agents/volumes.js';
import { isAbortError } from '../errors.js';
import { volumeTarget } from '../domain/agent-volume.js';
import type { AgentVolume } from '../ports/agent-volumes.js';
import { join } from 'node:path';
import { cacheDir, hostHome } from '../util/paths.js';
import { engineEnv } from './engine.js';
import type { AppContext } from './context.js';

/** The read-only agent volumes of the local engine. */
export function agentVolumes(ctx: AppContext, config: Config): DockerAgentVolumes {
  return new DockerAgentVolumes({ host: ctx.host, dockerPath: config.engine.docker_path, env: engineEnv(config, ctx.env) });
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

/** The `--mount` values of a new dev container: the engine's agent volume of each pinned version. */
export async function agentMounts(ctx: AppContext, config: Config, signal?: AbortSignal): Promise<string[]> {
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
