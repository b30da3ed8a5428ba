// Agent volumes: which cached agent versions a new dev container mounts (read-only, one volume per
// kind, version and platform) and which are filled first from the tar cache. Pure: the engine's
// volumes and the cache's entries come in, the devcontainer CLI's `--mount` values go out.
import type { AgentKind } from '../../domain/kinds.js';
import { isVolumeKey, volumeTarget } from '../../domain/agent-volume.js';
import type { AgentCacheKey } from '../../ports/agent-cache.js';
import type { AgentVolume } from '../../ports/agent-volumes.js';
import type { EffectiveAgent } from './effective-config.js';

/**
 * The devcontainer CLI's `--mount` value. The CLI cannot say read-only: the volume itself is a
 * read-only bind of its data (the adapter makes it so); `external` keeps Compose from renaming it.
 */
export const mountArg = (v: AgentVolume): string => `type=volume,source=${v.name},target=${volumeTarget(v)},external=true`;

export interface WantedAgent {
  kind: AgentKind;
  version: string;
}

export interface VolumePlan {
  /** Volumes to mount: every platform of each wanted version (the container's platform picks one after). */
  mount: AgentVolume[];
  /** Tar cache entries of wanted versions that have no volume yet. */
  fill: AgentCacheKey[];
}

const same = (a: AgentCacheKey, b: AgentCacheKey): boolean => a.kind === b.kind && a.version === b.version && a.platform === b.platform;

export function planAgentVolumes(wanted: readonly WantedAgent[], volumes: readonly AgentVolume[], cached: readonly AgentCacheKey[]): VolumePlan {
  const isWanted = (k: AgentCacheKey) => isVolumeKey(k) && wanted.some((w) => w.kind === k.kind && w.version === k.version);
  const mount = volumes.filter(isWanted);
  const fill = cached.filter((k) => isWanted(k) && !mount.some((v) => same(v, k))).map((k) => ({ kind: k.kind, version: k.version, platform: k.platform }));
  return { mount, fill };
}

/** The enabled npm agents cac installs, at the exact version config pins ("latest" as recorded: no registry round trip before `up`). */
export function wantedAgents(agents: readonly EffectiveAgent[], latest: Readonly<Record<string, { version: string }>>): WantedAgent[] {
  return agents.flatMap((a) => {
    if (!a.enabled || !a.install || !a.npm) return [];
    const version = a.npm.version === 'latest' ? latest[a.npm.package]?.version : a.npm.version;
    return version ? [{ kind: a.kind, version }] : [];
  });
}
