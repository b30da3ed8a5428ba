// What `cac pool status` shows per pool: boxes by state, health (paused, backoff), claims warm vs cold
// the average claim and provisioning latencies, and box-hours in total (purged records included). Read-only.
import type { BoxStore } from '../../ports/box-store.js';
import { LIVE_STATES, poolKeyOf, type Box } from '../../domain/box.js';
import { freshnessOf } from '../../domain/freshness.js';
import { planPool, type PoolSpec } from './plan-pool.js';
import { allPools } from './pools.js';
import type { PoolDefinition, PoolStatus } from '../../domain/pool.js';

/** The limits and timers the planner needs besides the pool itself. */
export type PlanTimers = Omit<PoolSpec, keyof PoolDefinition>;

const avg = (total: number, count: number): number | null => (count > 0 ? Math.round(total / count) : null);

/** Box time of every box the pool ever had, in hours (2 decimals): purged records' totals plus the kept records (live ones up to now). */
function boxHours(records: readonly Box[], purgedMs: number, now: number): number {
  const ms = records.reduce((sum, b) => sum + Math.max(0, (b.state === 'destroyed' ? b.updatedAt : now) - b.createdAt), purgedMs);
  return Math.round(ms / 36_000) / 100;
}

/** The base head the newest check of any of the pool's boxes saw. */
function newestHead(boxes: readonly Box[]): string | null {
  let newest: Box['head'] = null;
  for (const b of boxes) if (b.head && b.branch === b.baseBranch && (!newest || b.head.at > newest.at)) newest = b.head;
  return newest?.commit ?? null;
}

/** The configured pools and every other pool with live boxes, in that order. */
export async function poolStatus(store: BoxStore, pools: readonly PoolDefinition[], timers: PlanTimers, now: number): Promise<PoolStatus[]> {
  const live = await store.list({ states: LIVE_STATES });
  return Promise.all(
    allPools(pools, live).map(async ({ pool, configured }) => {
      const poolKey = poolKeyOf(pool.repoUrl, pool.baseBranch);
      const boxes = live.filter((b) => b.poolKey === poolKey);
      const [health, stats, destroyed] = await Promise.all([store.getPoolHealth(poolKey), store.poolStats(poolKey), store.list({ poolKey, states: ['destroyed'] })]);
      const count = (...states: string[]) => boxes.filter((b) => states.includes(b.state)).length;
      const plan = planPool({ boxes, health }, { ...timers, ...pool }, now);
      return {
        ...pool,
        poolKey,
        configured,
        standby: count('standby', 'updating'),
        provisioning: count('requested', 'provisioning'),
        claimed: count('claimed', 'ready'),
        failed: count('failed'),
        releasing: count('releasing'),
        paused: health.paused,
        consecutiveFailures: health.consecutiveFailures,
        lastFailureAt: health.lastFailureAt,
        blocked: plan.blocked ?? null,
        ...stats,
        claimLatencyMsAvg: avg(stats.claimLatencyMsTotal, stats.claimCount),
        provisionLatencyMsAvg: avg(stats.provisionLatencyMsTotal, stats.provisionCount),
        boxHoursTotal: boxHours([...boxes, ...destroyed], stats.purgedBoxMsTotal, now),
        head: newestHead(boxes),
        boxes: boxes.map((b) => ({ id: b.id, state: b.state, ...freshnessOf(b) })),
      };
    }),
  );
}
