// What a pool is (a repository and base branch with a standby target and a ceiling), how its definition
// is validated (field names of the config file or of the library), and what `cac pool status` reports.
import { poolKeyOf, type BoxState } from './box.js';
import type { BoxFreshness } from './freshness.js';
import { invalid, validateBranch, validateCount, validateRepoUrl } from './validate.js';

/** What a pool is: a repository and base branch with a standby target and a ceiling. */
export interface PoolDefinition {
  repoUrl: string;
  baseBranch: string;
  minStandby: number;
  maxInstances: number;
  /** How old a box's last check of the branch head may be when a claim hands it out, in ms; default one reconcile interval (60 s). */
  maxStalenessMs?: number;
}

/** Field names for a pool's values: `pools[2].min_standby` for config, `minStandby` for the library. */
export type PoolFieldNames = Record<keyof PoolDefinition, string>;

const POOL_FIELDS: PoolFieldNames = { repoUrl: 'repoUrl', baseBranch: 'baseBranch', minStandby: 'minStandby', maxInstances: 'maxInstances', maxStalenessMs: 'maxStalenessMs' };

/** The config file's names for pool number `index`. */
export function configPoolFields(index: number): PoolFieldNames {
  const p = `pools[${index}]`;
  return { repoUrl: `${p}.repo_url`, baseBranch: `${p}.base_branch`, minStandby: `${p}.min_standby`, maxInstances: `${p}.max_instances`, maxStalenessMs: `${p}.max_staleness` };
}

/** Throws ERR_INVALID_INPUT for a bad URL or branch, a negative or fractional count, or min > max. */
export function validatePool(pool: PoolDefinition, fields: PoolFieldNames = POOL_FIELDS): PoolDefinition {
  validateRepoUrl(pool.repoUrl, fields.repoUrl);
  validateBranch(pool.baseBranch, fields.baseBranch);
  validateCount(pool.minStandby, fields.minStandby, 0);
  validateCount(pool.maxInstances, fields.maxInstances, 1);
  if (pool.maxStalenessMs !== undefined) validateCount(pool.maxStalenessMs, fields.maxStalenessMs, 0);
  if (pool.minStandby > pool.maxInstances) {
    throw invalid(fields.minStandby, `${pool.minStandby} exceeds ${fields.maxInstances} ${pool.maxInstances}`, 'a pool cannot keep more standby boxes than it may hold');
  }
  return pool;
}

/** Validates every pool (fields named by `fieldsOf(index)`) and refuses two entries for one pool. */
export function validatePools(pools: readonly PoolDefinition[], fieldsOf: (index: number) => PoolFieldNames = () => POOL_FIELDS): PoolDefinition[] {
  const seen = new Map<string, number>();
  return pools.map((pool, i) => {
    const fields = fieldsOf(i);
    validatePool(pool, fields);
    const key = poolKeyOf(pool.repoUrl, pool.baseBranch);
    const first = seen.get(key);
    if (first !== undefined) throw invalid(fields.repoUrl, `pool ${key} is defined twice (entries ${first} and ${i})`, 'merge the two [[pools]] entries');
    seen.set(key, i);
    return pool;
  });
}

/** What `cac pool status` shows per pool. */
export interface PoolStatus extends PoolDefinition {
  poolKey: string;
  configured: boolean;
  standby: number;
  /** requested + provisioning. */
  provisioning: number;
  /** claimed + ready (in use). */
  claimed: number;
  failed: number;
  releasing: number;
  paused: boolean;
  consecutiveFailures: number;
  lastFailureAt: number | null;
  /** Why creates wait (paused, hard limit, backoff), or null. */
  blocked: string | null;
  /** `held by max_live: …` when `[boxes] max_live` keeps the pool below min_standby; else null. */
  held: string | null;
  warmClaims: number;
  coldClaims: number;
  claimCount: number;
  claimLatencyMsTotal: number;
  provisionCount: number;
  provisionLatencyMsTotal: number;
  /** Averages in ms, null before the first claim or provisioning. */
  claimLatencyMsAvg: number | null;
  provisionLatencyMsAvg: number | null;
  /** Destroyed records purged (keep_destroyed) and their box time, kept as totals. */
  purgedBoxes: number;
  purgedBoxMsTotal: number;
  /** Box time within the last 24 hours (records still kept), in hours. */
  boxHoursLastDay: number;
  /** Box time of every box the pool ever had (purged ones included), in hours. */
  boxHoursTotal: number;
  /** The base branch head the newest check saw (full commit); null before any check. */
  head: string | null;
  /** Each live box of the pool: its commit (short) and how far behind the head it was at its last check. */
  boxes: Array<BoxFreshness & { id: string; state: BoxState }>;
  /** The pool's prepared images (`cac pool prepare`): config hash, when, age in ms; null when none (or the driver keeps none). */
  prepared?: { configHash: string; preparedAt: number; ageMs: number } | null;
}
