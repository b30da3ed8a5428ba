// Pools prepared ahead: the images a pool's boxes need (the devcontainer's image or built Dockerfile,
// its features, the UID-update layer, the build cache) are made once per pool and devcontainer-config
// hash, in a box whose inner engine is then saved (`VmDriver.prepared`), and every new box of the pool
// starts its inner engine from that copy. Pure rules here: the config hash and the decisions on it.
import { createHash } from 'node:crypto';
import type { PreparedState } from '../../ports/vm-driver.js';

/** The file inside a prepared inner engine's data root that says what it was prepared from. */
export const PREPARED_MARKER = 'cac-prepared.json';

/** What a prepared state is made from; the same inputs give the same hash on this machine and on a box. */
export interface PreparedInputs {
  /** Git object ids of the devcontainer config (the `.devcontainer` tree, `.devcontainer.json` blob) at the branch. */
  configObjects: readonly string[];
  /** The pinned devcontainer CLI version. */
  cliVersion: string;
  /** `[boxes] preload_images` as `name@id`. */
  preloads: readonly string[];
}

/** 16 hex digits naming what a prepared state holds; a change of any input is a new hash. */
export function preparedConfigHash(inputs: PreparedInputs): string {
  const text = [`config ${inputs.configObjects.join(' ')}`, `cli ${inputs.cliVersion}`, ...inputs.preloads.map((p) => `preload ${p}`)].join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export type PrepareDecision = { prepare: true; reason: string } | { prepare: false; reason: string };

/**
 * Whether `cac pool prepare` must prepare the pool again. `hash` is undefined when the config could not
 * be read here (a repo this machine cannot reach): prepare, since a stale state must never look current.
 */
export function prepareDecision(current: PreparedState | undefined, hash: string | undefined, opts: { force?: boolean } = {}): PrepareDecision {
  if (opts.force) return { prepare: true, reason: 'forced' };
  if (!current) return { prepare: true, reason: 'nothing prepared yet' };
  if (hash === undefined) return { prepare: true, reason: 'the devcontainer config could not be read here' };
  if (current.configHash !== hash) return { prepare: true, reason: `the devcontainer config changed (prepared ${current.configHash}, now ${hash})` };
  return { prepare: false, reason: `up to date (${hash})` };
}

/** The newest prepared state of each pool. */
export function newestPrepared(all: readonly PreparedState[]): Map<string, PreparedState> {
  const out = new Map<string, PreparedState>();
  for (const p of all) {
    const seen = out.get(p.poolKey);
    if (!seen || p.preparedAt > seen.preparedAt) out.set(p.poolKey, p);
  }
  return out;
}

/** Prepared states a newer one of the same pool replaced: safe to remove. */
export function supersededPrepared(all: readonly PreparedState[]): PreparedState[] {
  const newest = newestPrepared(all);
  return all.filter((p) => newest.get(p.poolKey)?.ref !== p.ref);
}

/** How a box's devcontainer step stands to the prepared state its inner engine started from. */
export type PreparedUse = { use: 'fresh'; preparedAt: number } | { use: 'stale'; preparedHash: string } | { use: 'none' };

/** Compares the marker found in a box's inner engine (undefined: none) with the box's own config hash. */
export function preparedUse(marker: { configHash?: unknown; preparedAt?: unknown } | undefined, hash: string): PreparedUse {
  if (!marker || typeof marker.configHash !== 'string') return { use: 'none' };
  if (marker.configHash !== hash) return { use: 'stale', preparedHash: marker.configHash };
  return { use: 'fresh', preparedAt: typeof marker.preparedAt === 'number' ? marker.preparedAt : 0 };
}
