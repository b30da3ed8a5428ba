// `cac pool status --prometheus`: the pool status in the Prometheus text format, for node_exporter's
// textfile collector. A registry of our own (never prom-client's global one), filled from one status read.
import { Counter, Gauge, Registry } from 'prom-client';
import type { PoolStatus } from '../domain/pool.js';

const LABELS = ['pool', 'repo', 'base_branch'] as const;

/** The status rows as Prometheus text. */
export async function prometheusText(rows: readonly PoolStatus[]): Promise<string> {
  const registry = new Registry();
  const gauge = (name: string, help: string, extra: string[] = []) => new Gauge({ name, help, labelNames: [...LABELS, ...extra], registers: [registry] });
  const counter = (name: string, help: string, extra: string[] = []) => new Counter({ name, help, labelNames: [...LABELS, ...extra], registers: [registry] });
  const boxes = gauge('cac_pool_boxes', 'Boxes of the pool by state (provisioning includes requested; claimed includes ready).', ['state']);
  const minStandby = gauge('cac_pool_min_standby', 'Standby boxes the pool keeps (0 for a pool not in [[pools]]).');
  const maxInstances = gauge('cac_pool_max_instances', 'Most boxes the pool may hold (0 for a pool not in [[pools]]).');
  const paused = gauge('cac_pool_paused', '1 when a person paused the pool (no creates).');
  const blocked = gauge('cac_pool_blocked', '1 when creates wait: paused, backoff or the hard failure limit.');
  const failures = gauge('cac_pool_consecutive_failures', 'Provisioning failures in a row.');
  const claims = counter('cac_pool_claims_total', 'Boxes handed out, by kind (warm from standby, cold provisioned).', ['kind']);
  const claimSeconds = counter('cac_pool_claim_seconds_total', 'Sum of request-to-ready latencies of all claims.');
  const provisions = counter('cac_pool_provisions_total', 'Boxes that finished provisioning.');
  const provisionSeconds = counter('cac_pool_provision_seconds_total', 'Sum of record-to-standby/ready latencies of all provisionings.');
  const boxHours = counter('cac_pool_box_hours_total', 'Box time of every box the pool ever had (purged records included), in hours.');
  const boxHoursDay = gauge('cac_pool_box_hours_last_day', 'Box time within the last 24 hours, in hours.');
  const held = gauge('cac_pool_held', '1 when [boxes] max_live holds the pool below min_standby.');
  for (const r of rows) {
    const l = { pool: r.poolKey, repo: r.repoUrl, base_branch: r.baseBranch };
    for (const state of ['standby', 'provisioning', 'claimed', 'failed', 'releasing'] as const) boxes.set({ ...l, state }, r[state]);
    minStandby.set(l, r.minStandby);
    maxInstances.set(l, r.maxInstances);
    paused.set(l, r.paused ? 1 : 0);
    blocked.set(l, r.blocked ? 1 : 0);
    failures.set(l, r.consecutiveFailures);
    claims.inc({ ...l, kind: 'warm' }, r.warmClaims);
    claims.inc({ ...l, kind: 'cold' }, r.coldClaims);
    claimSeconds.inc(l, r.claimLatencyMsTotal / 1000);
    provisions.inc(l, r.provisionCount);
    provisionSeconds.inc(l, r.provisionLatencyMsTotal / 1000);
    boxHours.inc(l, r.boxHoursTotal);
    boxHoursDay.set(l, r.boxHoursLastDay);
    held.set(l, r.held ? 1 : 0);
  }
  return registry.metrics();
}
