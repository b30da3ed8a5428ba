// What `cac pool status` shows per pool: boxes by state, health (paused, backoff, held by max_live), claims
// warm vs cold, the average claim and provisioning latencies, and box-hours over the last day and in total
// (purged records included). Read-only.
import type { BoxStore } from '../../ports/box-store.js';
import { INSTANCE_STATES, LIVE_STATES, poolKeyOf, type Box } from '../../domain/box.js';
import { freshnessOf } from '../../domain/freshness.js';
import { planPool, type PoolSpec } from './plan-pool.js';
import { allPools } from './pools.js';
import type { PoolDefinition, PoolStatus } from '../../domain/pool.js';

/** The limits and timers the planner needs besides the pool itself. */
export type PlanTimers = Omit<PoolSpec, keyof PoolDefinition>;

const avg = (total: number, count: number): number | null => (count > 0 ? Math.round(total / count) : null);

const DAY = 86_400_000;
const hours = (ms: number): number => Math.round(ms / 36_000) / 100;
/** When the box stopped holding time: destroyed at its last write, else not yet. */
const endOf = (b: Box, now: number): number => (b.state === 'destroyed' ? b.updatedAt : now);

/** Box time of every box the pool ever had, in hours (2 decimals): purged records' totals plus the kept records (live ones up to now). */
function boxHours(records: readonly Box[], purgedMs: number, now: number): number {
  return hours(records.reduce((sum, b) => sum + Math.max(0, endOf(b, now) - b.createdAt), purgedMs));
}

/**
 * Box time within the last 24 h, in hours (2 decimals): each kept record's overlap with [now − 24 h, now].
 * A record purged (keep_destroyed) is only in the total: with keep_destroyed under a day, its time leaves this window early.
 */
function boxHoursLastDay(records: readonly Box[], now: number): number {
  const from = now - DAY;
  return hours(records.reduce((sum, b) => sum + Math.max(0, Math.min(endOf(b, now), now) - Math.max(b.createdAt, from)), 0));
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
  const instances = live.filter((b) => INSTANCE_STATES.includes(b.state));
  return Promise.all(
    allPools(pools, live).map(async ({ pool, configured }) => {
      const poolKey = poolKeyOf(pool.repoUrl, pool.baseBranch);
      const boxes = live.filter((b) => b.poolKey === poolKey);
      const [health, stats, destroyed] = await Promise.all([store.getPoolHealth(poolKey), store.poolStats(poolKey), store.list({ poolKey, states: ['destroyed'] })]);
      const count = (...states: string[]) => boxes.filter((b) => states.includes(b.state)).length;
      const elsewhere = instances.filter((b) => b.poolKey !== poolKey).length;
      const plan = planPool({ boxes, health, elsewhere }, { ...timers, ...pool }, now);
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
        held: plan.held ?? null,
        ...stats,
        claimLatencyMsAvg: avg(stats.claimLatencyMsTotal, stats.claimCount),
        provisionLatencyMsAvg: avg(stats.provisionLatencyMsTotal, stats.provisionCount),
        boxHoursLastDay: boxHoursLastDay([...boxes, ...destroyed], now),
        boxHoursTotal: boxHours([...boxes, ...destroyed], stats.purgedBoxMsTotal, now),
        head: newestHead(boxes),
        boxes: boxes.map((b) => ({ id: b.id, state: b.state, ...freshnessOf(b) })),
      };
    }),
  );
}
