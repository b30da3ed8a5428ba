// Provisioner wiring: config + context → the SshProvisioner of remote boxes (SshHost per box with cac's
// key, local git bundles and mirrors, local images to preload, the devcontainer CLI and docker on the box,
// agent injection with this machine's host material, the .env injector), and `box exec`'s engine.
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Host } from '../ports/host.js';
import { poolKeyOf, type SshTarget } from '../domain/box.js';
import { durationMs } from '../domain/duration.js';
import { BoxConnections, type ClosableHost, type OpenBoxHost } from '../core/provision/connections.js';
import { DEFAULT_MAX_STALENESS_MS, SshProvisioner, type SshProvisionerDeps } from '../core/provision/provisioner.js';
import type { EnvInjector } from '../core/provision/env.js';
import type { BoxAgentDeps } from '../core/provision/agents.js';
import { DevcontainerCliEngine } from '../adapters/engine/devcontainer-cli.js';
import { devcontainerCli } from '../adapters/engine/cli-path.js';
import { DockerImageSource } from '../adapters/engine/image-source.js';
import { LocalGitSource } from '../adapters/git/local-source.js';
import { ContainerHost } from '../adapters/host/container.js';
import { agentDeps } from './agents.js';
import { agentCache } from './agent-cache.js';
import type { BoxAgentVolumeDeps } from '../core/provision/agent-volumes.js';
import { DockerAgentVolumes } from '../adapters/engine/agent-volumes.js';
import { effectiveAgents } from '../core/agents/effective-config.js';
import { wantedAgents } from '../core/agents/volumes.js';
import { hostHome } from '../util/paths.js';
import { engineEnv } from './engine.js';
import { boxIdentity } from './box-identity.js';
import { GIT_NAMES, pickEnv } from '../util/child-env.js';
import { AGENTS_ENV_FILE } from '../core/agents/finish-script.js';
import type { AppContext } from './context.js';

/** An SshHost for a box, logging in with the boxes' identity (box-identity.ts; ssh2 loads only when a box is reached). */
export async function boxHost(ctx: AppContext, config: Config, target: SshTarget): Promise<ClosableHost> {
  const [{ SshHost }, keys] = await Promise.all([import('../adapters/host/ssh.js'), boxIdentity(ctx, config)]);
  // the key as bytes: SshHost reads a string as a file path
  return new SshHost({ ...target, privateKey: Buffer.from(keys.privateKey) });
}

/** The devcontainer CLI at `cli` and the box's own docker, both over the box's Host. */
export function boxEngine(ctx: AppContext, host: Host, cli: string): DevcontainerCliEngine {
  return new DevcontainerCliEngine({ host, cli: [cli], dockerPath: 'docker', env: {}, loginFiles: [AGENTS_ENV_FILE], logDir: join(ctx.stateDir, 'logs') });
}

/** Agent injection into a box's container: this machine's host material, `docker exec` run on the box. */
export function boxAgentDeps(ctx: AppContext, config: Config): BoxAgentDeps {
  const base = agentDeps(ctx, config);
  return (host) => ({ ...base, container: ({ containerId, remoteUser }) => new ContainerHost({ host, containerId, ...(remoteUser ? { user: remoteUser } : {}) }) });
}

/** Agent volumes on boxes: the box's own engine (over its Host) and the enabled agents' pins ("latest" as recorded). */
export function boxAgentVolumes(ctx: AppContext, config: Config): BoxAgentVolumeDeps {
  return {
    volumesOn: (host) => new DockerAgentVolumes({ host, dockerPath: 'docker', env: {} }),
    wanted: async () => wantedAgents(effectiveAgents(config.agents, ctx.env, hostHome(ctx.env)), await agentCache(ctx, config, { local: false }).resolved()),
  };
}

export function sshProvisioner(ctx: AppContext, config: Config, opts: { env?: EnvInjector } = {}): SshProvisioner {
  return new SshProvisioner(sshProvisionerDeps(ctx, config, opts));
}

/** The SshProvisioner's dependencies from config; `open` replaces cac's SSH to each box, `repoPath` the checkout's place. */
export function sshProvisionerDeps(ctx: AppContext, config: Config, opts: { env?: EnvInjector; open?: OpenBoxHost; repoPath?: string } = {}): SshProvisionerDeps {
  // `docker save` runs outside the Host port (a byte stream): the same allow-listed environment
  const dockerEnv = { ...ctx.childEnv, ...engineEnv(config, ctx.env) };
  return {
    connections: new BoxConnections(opts.open ?? ((target) => boxHost(ctx, config, target))),
    ...(opts.repoPath !== undefined ? { repoPath: opts.repoPath } : {}),
    source: new LocalGitSource({ host: ctx.host, mirrorsDir: join(ctx.stateDir, 'mirrors'), env: pickEnv(ctx.env, GIT_NAMES) }),
    ...(config.boxes.repo_delivery ? { delivery: config.boxes.repo_delivery } : {}),
    preloadImages: config.boxes.preload_images,
    // "" turns it off: a repo without a devcontainer configuration fails its boxes
    ...(config.boxes.default_image ? { defaultImage: config.boxes.default_image } : {}),
    images: new DockerImageSource({ host: ctx.host, dockerPath: config.engine.docker_path, env: dockerEnv }),
    cliVersion: devcontainerCli().version,
    engine: (host, cli) => boxEngine(ctx, host, cli),
    ...(config.agents.enabled ? { agentDeps: boxAgentDeps(ctx, config), agentVolumes: boxAgentVolumes(ctx, config) } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    reporter: ctx.reporter,
    now: Date.now,
    maxStalenessMs: maxStaleness(config),
  };
}

/** Each configured pool's max_staleness (a claim brings a box last checked at head longer ago to head first). */
function maxStaleness(config: Config): (poolKey: string) => number {
  const byPool = new Map(
    config.pools.flatMap((p, i) => (p.max_staleness === undefined ? [] : [[poolKeyOf(p.repo_url, p.base_branch), durationMs(p.max_staleness, `pools[${i}].max_staleness`, 'stored')] as const])),
  );
  return (poolKey) => byPool.get(poolKey) ?? DEFAULT_MAX_STALENESS_MS;
}
