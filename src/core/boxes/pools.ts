// Which pools there are: the configured ones plus any other pool that has live boxes (cold boxes of
// an unconfigured repo), and which pool serves a request.
import { poolKeyOf, type Box } from '../../domain/box.js';
import type { PoolDefinition } from '../../domain/pool.js';

/** The configured pools first, then one entry (min 0, max 0) per other pool some record belongs to. */
export function allPools(pools: readonly PoolDefinition[], records: readonly Box[]): Array<{ pool: PoolDefinition; configured: boolean }> {
  const out = pools.map((pool) => ({ pool, configured: true }));
  const known = new Set(pools.map((p) => poolKeyOf(p.repoUrl, p.baseBranch)));
  for (const r of records) {
    if (known.has(r.poolKey)) continue;
    known.add(r.poolKey);
    out.push({ pool: { repoUrl: r.repoUrl, baseBranch: r.baseBranch, minStandby: 0, maxInstances: 0 }, configured: false });
  }
  return out;
}

export interface ResolvedPool {
  baseBranch: string;
  /** The branch the box is for. */
  branch: string;
  /** Whether [[pools]] keeps warm boxes for it. */
  configured: boolean;
  /** The pool's max_instances; null (no limit) for an unconfigured pool. */
  maxInstances: number | null;
}

/**
 * The repo's pool whose base branch is the requested branch, else the repo's first pool (its warm box is
 * claimed and switched to the branch), else an unconfigured pool of the branch itself (always cold).
 */
export function resolvePool(pools: readonly PoolDefinition[], repoUrl: string, branch: string | undefined): ResolvedPool {
  const ofRepo = pools.filter((p) => p.repoUrl === repoUrl);
  const exact = branch === undefined ? ofRepo[0] : (ofRepo.find((p) => p.baseBranch === branch) ?? ofRepo[0]);
  if (exact) return { baseBranch: exact.baseBranch, branch: branch ?? exact.baseBranch, configured: true, maxInstances: exact.maxInstances };
  const base = branch ?? 'main';
  return { baseBranch: base, branch: base, configured: false, maxInstances: null };
}
