// The Redis store through bin/cac, end to end: `[store] url = "redis://…"` and nothing else changes.
// Reconcile fills the pool, a request claims warm, a cold request is provisioned by the background
// worker, release destroys, pool status counts, and a second machine (another HOME, no SQLite file)
// sees the same pools. bin/cac always uses the key prefix `cac:`, so this file gets a Redis database
// of its own (its keys are removed before and after).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { boxCli, poolToml, tomlString, writeConfig, type BoxDoc } from '../helpers/box-cli.js';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, infra } from '../helpers/infra.js';
import { dropPrefix } from '../integration/store/redis-prefix.js';
import { generateKey } from '../../src/core/secrets/keys.js';

const RUN = newRunId('e2e-redis');
const REPO = 'https://example.test/acme/shared.git';
const COLD = 'https://example.test/acme/cold.git';
/** Database 11 of the test Redis: only this file writes there. */
const url = (() => {
  const u = new URL(infra.CAC_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  u.pathname = '/11';
  return u.toString();
})();
// both machines hold the team's master key: it opens the fleet SSH key the store keeps
const MASTER_KEY = generateKey();
const here = boxCli(RUN, { CAC_BOX_INNER_DOCKER: '0', CAC_MASTER_KEY: MASTER_KEY });
const there = boxCli(RUN, { CAC_BOX_INNER_DOCKER: '0', CAC_MASTER_KEY: MASTER_KEY });

interface PoolRow {
  poolKey: string;
  standby: number;
  provisioning: number;
  claimed: number;
  warmClaims: number;
  coldClaims: number;
}
const pool = async (cli = here, key = `${REPO}#main`) => (await cli.json<{ pools: PoolRow[] }>(['pool', 'status'])).pools.find((p) => p.poolKey === key);

describeWith(['docker', 'redis'], 'the Redis store through bin/cac', () => {
  beforeAll(async () => {
    await dropPrefix(url, 'cac:');
    const toml = `[store]\nurl = ${tomlString(url)}\n\n[boxes]\nprovision = "vm"\nprovision_timeout = "3m"\n\n${poolToml(REPO, 2, 3)}`;
    writeConfig(here.configFile, toml);
    writeConfig(there.configFile, toml);
  });
  afterAll(async () => {
    removeRun(RUN);
    await dropPrefix(url, 'cac:');
    for (const cli of [here, there]) rmSync(cli.home, { recursive: true, force: true });
  });

  it('reconcile fills the pool; the records are in Redis, no SQLite file is made', async () => {
    const r = await here.json<{ pools: Array<{ applied: { provisioned: Array<{ outcome: string }> } }> }>(['pool', 'reconcile']);
    expect(r.pools[0]?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby', 'standby']);
    expect(await pool()).toMatchObject({ standby: 2, provisioning: 0, claimed: 0 });
    const standby = (await here.boxes()).filter((b) => b.state === 'standby');
    expect(
      runContainers(RUN)
        .map((c) => c.boxId)
        .sort(),
    ).toEqual(standby.map((b) => b.id).sort());

    const redis = new Redis(url);
    try {
      const keys = await redis.keys('cac:*');
      for (const b of standby)
        expect(
          keys.some((k) => k.includes(b.id)),
          `a Redis key for ${b.id}`,
        ).toBe(true);
    } finally {
      redis.disconnect();
    }
    expect(existsSync(join(here.stateDir, 'boxes.db'))).toBe(false);
  });

  it('another machine (another HOME) sees the same pool and claims from it; release destroys', async () => {
    expect(await pool(there)).toMatchObject({ standby: 2 });
    const grant = await there.json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'elsewhere']);
    expect(grant).toMatchObject({ warm: true, box: { state: 'ready', claimant: 'elsewhere' } });
    expect((await here.boxes()).find((b) => b.id === grant.box.id)).toMatchObject({ state: 'ready', claimant: 'elsewhere' });
    expect(await pool()).toMatchObject({ standby: 1, claimed: 1, warmClaims: 1 });

    const released = await here.json<{ box: BoxDoc }>(['box', 'release', grant.box.id]);
    expect(released.box.state).toBe('destroyed');
    expect(runContainers(RUN).map((c) => c.boxId)).not.toContain(grant.box.id);
    expect((await there.json<{ box: BoxDoc }>(['box', 'show', grant.box.id])).box.state).toBe('destroyed');
    expect(await pool(there)).toMatchObject({ standby: 1, claimed: 0 });
    expect(existsSync(join(there.stateDir, 'boxes.db'))).toBe(false);
  });

  it('a cold request is provisioned by the background worker on the same store; reconcile refills', async () => {
    const quick = await here.json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', COLD, '--for', 'cold-1']);
    expect(quick).toMatchObject({ warm: false, box: { state: 'requested' } });
    const ready = await there.json<{ box: BoxDoc }>(['box', 'show', quick.box.id, '--wait', '--timeout', '2m']);
    expect(ready.box).toMatchObject({ state: 'ready', claimant: 'cold-1', warm: false });
    expect(await pool(here, `${COLD}#main`)).toMatchObject({ claimed: 1, coldClaims: 1 });
    expect((await here.json<{ box: BoxDoc }>(['box', 'release', quick.box.id])).box.state).toBe('destroyed');

    const refill = await there.json<{ pools: Array<{ applied: { created: string[] } }> }>(['pool', 'reconcile']);
    expect(refill.pools[0]?.applied.created).toHaveLength(1);
    expect(await pool()).toMatchObject({ standby: 2, claimed: 0 });
    const live = (await here.json<{ boxes: BoxDoc[] }>(['box', 'list'])).boxes;
    expect(live.map((b) => b.state)).toEqual(['standby', 'standby']);
    expect(
      runContainers(RUN)
        .map((c) => c.boxId)
        .sort(),
    ).toEqual(live.map((b) => b.id).sort());
  });
});
