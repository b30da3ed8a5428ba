// AgentVolumes: cached agent CLI prefixes kept in named volumes on the engine, one per kind, version and
// platform, mounted read-only into new dev containers (docs/architecture.md "Agent CLI cache").
import type { Readable } from 'node:stream';
import type { AgentCacheKey } from './agent-cache.js';

/** One filled agent volume: what containers mount (`name`, read-only) and the volume it shows (`data`). */
export interface AgentVolume extends AgentCacheKey {
  /** The read-only view containers mount. */
  name: string;
  /** The volume holding the files; only the fill ever mounts it. */
  data: string;
}

export interface AgentVolumes {
  /** The filled volumes (a fill that did not finish has no view and is not listed). */
  list(signal?: AbortSignal): Promise<AgentVolume[]>;
  /** Data volumes whose fill never finished (prune removes them). */
  leftovers(signal?: AbortSignal): Promise<string[]>;
  /** Fills the volume of `key` from a tar stream of its install prefix, then makes its read-only view. */
  fill(key: AgentCacheKey, tar: Readable, signal?: AbortSignal): Promise<AgentVolume>;
  /** Makes the read-only view of `key` over a prefix directory the engine's machine already has (a box's read-only mount of its host's volume). */
  adopt(key: AgentCacheKey, dir: string, signal?: AbortSignal): Promise<AgentVolume>;
  /** The containers (any state) that mount a volume. */
  users(name: string, signal?: AbortSignal): Promise<string[]>;
  /** Removes a volume and its data; `in-use` (nothing removed) while a container mounts it. */
  remove(v: Pick<AgentVolume, 'name' | 'data'>, signal?: AbortSignal): Promise<'removed' | 'in-use'>;
}
