// Agent volumes on a box (docker driver): the box container sees its engine's agent volumes read-only at
// the path dev containers use (`VmSpec.readOnlyVolumes`, filled once per engine from the tar cache), so the
// CLI is never copied per box. Before the box's `devcontainer up` makes a container, each such directory
// of a wanted version gets a read-only view volume in the box's own engine (the box's dev container is
// unprivileged: it can neither write nor remount it), mounted like on a laptop; the `agents` step then links
// the binary inside its one exec. A box without them (another driver, nothing cached) restores the tar.
import { isAbortError } from '../../errors.js';
import { AGENT_KINDS, type AgentKind } from '../../domain/kinds.js';
import { isVolumeKey, volumeTarget, VOLUME_ROOT } from '../../domain/agent-volume.js';
import type { AgentCacheKey } from '../../ports/agent-cache.js';
import type { AgentVolumes } from '../../ports/agent-volumes.js';
import type { Host } from '../../ports/host.js';
import type { Reporter } from '../../ports/reporter.js';
import { mountArg, planAgentVolumes, type WantedAgent } from '../agents/volumes.js';

export interface BoxAgentVolumeDeps {
  /** The agent volumes of the engine inside a box, reached over its Host. */
  volumesOn(host: Host): AgentVolumes;
  /** The enabled npm agents at their exact pinned versions. */
  wanted(): Promise<WantedAgent[]>;
}

/** Lists the agent prefix directories the box has (its read-only mounts), one name a line. */
export const LIST_AGENT_DIRS = `cd "$1" 2>/dev/null || exit 0
for d in *; do [ -d "$d/bin" ] && printf '%s\\n' "$d"; done
exit 0`;

const DIR_NAME = new RegExp(`^(${AGENT_KINDS.join('|')})-(.+)-([A-Za-z0-9_]{1,32}-(?:gnu|musl))$`);

/** A directory name `<kind>-<version>-<platform>` as a checked key (the box's output is untrusted). */
function dirKey(name: string): AgentCacheKey | undefined {
  const m = DIR_NAME.exec(name);
  if (!m) return undefined;
  const key = { kind: m[1] as AgentKind, version: m[2] ?? '', platform: m[3] ?? '' };
  return isVolumeKey(key) ? key : undefined;
}

/**
 * The `--mount` values of a box's new dev container: a view of each wanted version's directory the box
 * has (made once per box). A problem is a warning: the container is made without them.
 */
export async function boxAgentMounts(deps: BoxAgentVolumeDeps & { reporter: Reporter }, host: Host, boxId: string, signal: AbortSignal): Promise<string[]> {
  try {
    const wanted = await deps.wanted();
    if (wanted.length === 0) return [];
    const volumes = deps.volumesOn(host);
    const [views, listed] = await Promise.all([volumes.list(signal), host.exec(['sh', '-c', LIST_AGENT_DIRS, 'sh', VOLUME_ROOT], { signal })]);
    const dirs = listed.stdout.split('\n').flatMap((n) => dirKey(n.trim()) ?? []);
    const missing = planAgentVolumes(wanted, views, dirs).fill;
    const adopted = await Promise.all(missing.map((key) => volumes.adopt(key, volumeTarget(key), signal)));
    return planAgentVolumes(wanted, [...views, ...adopted], []).mount.map(mountArg);
  } catch (e) {
    if (isAbortError(e)) throw e;
    deps.reporter.emit({ type: 'warning', message: `box ${boxId}: agent volumes not used: ${e instanceof Error ? e.message : String(e)}`, hint: 'agents are restored from the agent cache instead' });
    return [];
  }
}
