// Names and paths of agent volumes (one per agent kind, exact version and platform), shared by the
// planner and the engine adapter; every part is checked before it names a volume or a path.
import { AGENT_KINDS, EXACT_VERSION, type AgentKind } from './kinds.js';

export interface AgentVolumeKey {
  kind: AgentKind;
  version: string;
  /** `uname -m` and libc, e.g. `x86_64-gnu`. */
  platform: string;
}

/** Where a container sees its agent volumes. */
export const VOLUME_ROOT = '/opt/cac-agents';
const PLATFORM = /^[A-Za-z0-9_]{1,32}-(gnu|musl)$/;

/** Every part checked: they come from config, the registry, container output and volume labels. */
export function isVolumeKey(k: AgentVolumeKey): boolean {
  return (AGENT_KINDS as readonly string[]).includes(k.kind) && EXACT_VERSION.test(k.version) && PLATFORM.test(k.platform);
}

/** The read-only volume containers mount. */
export const volumeNameOf = (k: AgentVolumeKey): string => `cac-agent-${k.kind}-${k.version}-${k.platform}`;
/** The volume holding its files (only the fill mounts it). */
export const dataNameOf = (k: AgentVolumeKey): string => `${volumeNameOf(k)}-data`;
/** The container path of a key's volume (the prefix: `bin/`, `lib/node_modules/`). */
export const volumeTarget = (k: AgentVolumeKey): string => `${VOLUME_ROOT}/${k.kind}-${k.version}-${k.platform}`;
/** A version's volume path without its platform: the container's own `uname -m`-libc completes it. */
export const volumeTargetPrefix = (kind: AgentKind, version: string): string => `${VOLUME_ROOT}/${kind}-${version}-`;
