// Agent volumes on a box: `cac pool prepare` fills the cached versions of the enabled agents into the
// prepared box's inner engine (the tar crosses SSH once per prepare, not once per box), so they are part
// of the data root every new box of the pool starts from; each box's `devcontainer up` then mounts them
// read-only and the `agents` step links the binary instead of restoring the tar. The volumes are the
// box's own copy: a box container is privileged, so nothing on it is shared with another box or the host.
import { isAbortError } from '../../errors.js';
import { isVolumeKey } from '../../domain/agent-volume.js';
import type { AgentCache, AgentCacheKey } from '../../ports/agent-cache.js';
import type { AgentVolumes } from '../../ports/agent-volumes.js';
import type { Host } from '../../ports/host.js';
import type { Reporter } from '../../ports/reporter.js';
import { mountArg, planAgentVolumes, type WantedAgent } from '../agents/volumes.js';

export interface BoxAgentVolumeDeps {
  /** The agent volumes of the engine inside a box, reached over its Host. */
  volumesOn(host: Host): AgentVolumes;
  /** This machine's agent CLI cache (read only). */
  cache: Pick<AgentCache, 'open' | 'list'>;
  /** The enabled npm agents at their exact pinned versions. */
  wanted(): Promise<WantedAgent[]>;
}

/** What a prepared state holds: every cached platform of each wanted version, sorted (it is part of the config hash). */
export async function preparedAgentKeys(deps: BoxAgentVolumeDeps): Promise<AgentCacheKey[]> {
  const [wanted, cached] = await Promise.all([deps.wanted(), deps.cache.list()]);
  if (wanted.length === 0) return [];
  return planAgentVolumes(wanted, [], cached)
    .fill.filter(isVolumeKey)
    .sort((a, b) => keyText(a).localeCompare(keyText(b)));
}

/** `kind@version@platform`: one agent volume in a config hash. */
export const keyText = (k: AgentCacheKey): string => `${k.kind}@${k.version}@${k.platform}`;

/** Fills `keys` into the box's engine from this machine's cache (a key the box already has is kept). A failure throws: a prepared state holds what its hash says. */
export async function fillBoxAgentVolumes(deps: BoxAgentVolumeDeps, host: Host, keys: readonly AgentCacheKey[], signal: AbortSignal): Promise<void> {
  if (keys.length === 0) return;
  const volumes = deps.volumesOn(host);
  const have = await volumes.list(signal);
  for (const key of keys) {
    if (have.some((v) => keyText(v) === keyText(key))) continue;
    const tar = await deps.cache.open(key);
    if (!tar) throw new Error(`the agent cache lost ${keyText(key)} while the pool was prepared`);
    await volumes.fill(key, tar, signal);
  }
}

/**
 * The `--mount` values of a box's new dev container: the box's agent volumes of the wanted versions. A
 * problem is a warning (the container is made without them; the `agents` step restores the tar instead).
 */
export async function boxAgentMounts(deps: BoxAgentVolumeDeps & { reporter: Reporter }, host: Host, boxId: string, signal: AbortSignal): Promise<string[]> {
  try {
    const wanted = await deps.wanted();
    if (wanted.length === 0) return [];
    return planAgentVolumes(wanted, await deps.volumesOn(host).list(signal), []).mount.map(mountArg);
  } catch (e) {
    if (isAbortError(e)) throw e;
    deps.reporter.emit({ type: 'warning', message: `box ${boxId}: agent volumes not used: ${e instanceof Error ? e.message : String(e)}`, hint: 'agents are restored from the agent cache instead' });
    return [];
  }
}
