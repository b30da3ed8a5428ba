import { describe, expect, it } from 'vitest';
import { poolKeyOf } from '../../../src/domain/box.js';
import { prometheusText } from '../../../src/output/prometheus.js';
import { poolStatus } from '../../../src/core/boxes/pool-status.js';
import { MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const timers = { provisionTimeoutMs: 900_000, failedRetentionMs: 3_600_000, backoffIntervalMs: 60_000 };

async function fixture() {
  const store = new MemoryBoxStore(() => T0);
  const mk = async (state: 'standby' | 'provisioning' | 'failed', key: string) => {
    const b = await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 900_000, now: T0 }, { idempotencyKey: key });
    await store.transition(b.id, { from: 'requested', to: 'provisioning', now: T0 });
    if (state !== 'provisioning') await store.transition(b.id, { from: 'provisioning', to: state, now: T0 });
  };
  await mk('standby', 'a');
  await mk('standby', 'b');
  await mk('provisioning', 'c');
  await mk('failed', 'd');
  await store.claimStandby(poolKeyOf(REPO, 'main'), { claimant: 'x', leaseMs: 1, now: T0 });
  await store.recordClaim(poolKeyOf(REPO, 'main'), { warm: true, latencyMs: 4 });
  await store.recordClaim(poolKeyOf(REPO, 'main'), { warm: false, latencyMs: 1996 });
  await store.recordProvision(poolKeyOf(REPO, 'main'), { latencyMs: 1500 });
  await store.recordFailure(poolKeyOf(REPO, 'main'), T0);
  const cold = await store.createBox({ repoUrl: 'git@example.test:acme/other.git', baseBranch: 'dev', claimant: 'y', deadlineAt: T0 + 1, now: T0 }, { idempotencyKey: 'e' });
  return { store, cold };
}

describe('poolStatus and prometheusText', () => {
  it('counts boxes by state, health and claims per pool, configured pools first', async () => {
    const { store } = await fixture();
    const rows = await poolStatus(store, [{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 4 }], timers, T0 + 1000);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      poolKey: `${REPO}#main`,
      configured: true,
      minStandby: 2,
      maxInstances: 4,
      standby: 1,
      provisioning: 1,
      claimed: 1,
      failed: 1,
      releasing: 0,
      paused: false,
      consecutiveFailures: 1,
      warmClaims: 1,
      coldClaims: 1,
      claimLatencyMsAvg: 1000,
      provisionLatencyMsAvg: 1500,
    });
    expect(rows[0]?.blocked).toMatch(/^backoff: 1 failures in a row/);
    expect(rows[1]).toMatchObject({ poolKey: 'git@example.test:acme/other.git#dev', configured: false, provisioning: 1, claimLatencyMsAvg: null });
  });

  it('prints the Prometheus text format with one sample per pool and state', async () => {
    const { store } = await fixture();
    const text = await prometheusText(await poolStatus(store, [{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 4 }], timers, T0));
    const l = `pool="${REPO}#main",repo="${REPO}",base_branch="main"`;
    expect(text).toContain('# TYPE cac_pool_boxes gauge');
    expect(text).toContain(`cac_pool_boxes{${l},state="standby"} 1`);
    expect(text).toContain(`cac_pool_boxes{${l},state="claimed"} 1`);
    expect(text).toContain(`cac_pool_min_standby{${l}} 2`);
    expect(text).toContain(`cac_pool_blocked{${l}} 1`);
    expect(text).toContain('# TYPE cac_pool_claims_total counter');
    expect(text).toContain(`cac_pool_claims_total{${l},kind="warm"} 1`);
    expect(text).toContain(`cac_pool_claim_seconds_total{${l}} 2`);
    expect(text).toContain(`cac_pool_provision_seconds_total{${l}} 1.5`);
    // every sample line is `name{labels} value`
    for (const line of text.split('\n').filter((x) => x && !x.startsWith('#'))) expect(line).toMatch(/^cac_pool_[a-z_]+\{[^}]*\} -?[0-9.e+]+$/);
  });
});

describe('poolStatus: box-hours in total', () => {
  it('adds purged records, destroyed records (created → destroyed) and live ones (up to now)', async () => {
    const HOUR = 3_600_000;
    const store = new MemoryBoxStore(() => T0);
    const walk = async (key: string, end: number) => {
      const b = await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 900_000, now: T0 }, { idempotencyKey: key });
      await store.transition(b.id, { from: 'requested', to: 'releasing', now: end });
      return store.transition(b.id, { from: 'releasing', to: 'destroyed', now: end });
    };
    await walk('purged', T0 + 2 * HOUR);
    expect(await store.purgeDestroyed(T0 + 3 * HOUR)).toHaveLength(1);
    await walk('kept', T0 + HOUR);
    await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 900_000, now: T0 }, { idempotencyKey: 'live' });
    const [row] = await poolStatus(store, [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 4 }], timers, T0 + HOUR / 2);
    expect(row).toMatchObject({ purgedBoxes: 1, purgedBoxMsTotal: 2 * HOUR, boxHoursTotal: 3.5 });
    const prom = await prometheusText(row ? [row] : []);
    expect(prom).toContain(`cac_pool_box_hours_total{pool="${REPO}#main",repo="${REPO}",base_branch="main"} 3.5`);
    // the last day, up to now: the kept destroyed record and the live one, half an hour each; the purged one is only in the total
    expect(row?.boxHoursLastDay).toBe(1);
    expect(prom).toContain(`cac_pool_box_hours_last_day{pool="${REPO}#main",repo="${REPO}",base_branch="main"} 1`);
    expect(prom).toContain(`cac_pool_held{pool="${REPO}#main",repo="${REPO}",base_branch="main"} 0`);
  });
});
