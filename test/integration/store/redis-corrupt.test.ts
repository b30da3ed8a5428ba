// One Redis record that does not decode (written by hand, half-deleted, a bad field) must not break the
// store: it is reported once with its id and what is wrong, listings and claims pass it by, `get` names
// it for a person to repair, and a reconcile round runs as if it were not there. On the test Redis.
import { Redis } from 'ioredis';
import { afterAll, beforeEach, expect, it } from 'vitest';
import { RedisAgentBoxStore } from '../../../src/adapters/store/redis.js';
import { poolKeyOf, type Box } from '../../../src/domain/box.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { isCacError, type CacError } from '../../../src/errors.js';
import { newRunId, removeRun, testDockerDriver } from '../../helpers/box-run.js';
import { describeWith, infra } from '../../helpers/infra.js';
import { dropPrefix, uniquePrefix } from './redis-prefix.js';
import { REPO, seedStandby } from './seed.js';

const RUN = newRunId('redis-corrupt');
const POOL = poolKeyOf(REPO, 'main');

describeWith(['docker', 'redis'], 'a Redis box record that does not decode', () => {
  const url = infra.CAC_TEST_REDIS_URL ?? '';
  const prefixes: string[] = [];
  afterAll(async () => {
    removeRun(RUN);
    for (const p of prefixes) await dropPrefix(url, p);
  });

  let prefix: string;
  let admin: Redis;
  let reported: CacError[];
  let store: RedisAgentBoxStore;
  let good: Box;
  let badJson: Box;
  let badState: Box;
  let badNumber: Box;

  beforeEach(async () => {
    prefix = uniquePrefix();
    prefixes.push(prefix);
    reported = [];
    store = new RedisAgentBoxStore(new Redis(url), { prefix, onCorrupt: (e) => reported.push(e) });
    admin = new Redis(url);
    // oldest first: a claim meets the two bad standby records before the good one
    badNumber = await seedStandby(store, 1);
    badJson = await seedStandby(store, 2);
    good = await seedStandby(store, 3);
    badState = await seedStandby(store, 4);
    await admin.hset(`${prefix}box:${badNumber.id}`, 'createdAt', 'soon');
    await admin.hset(`${prefix}box:${badJson.id}`, 'steps', '{not json');
    await admin.hset(`${prefix}box:${badState.id}`, 'state', 'bogus');
    await admin.zadd(`${prefix}pool:${POOL}:standby`, 5, 'box_ghost0000000');
    return async () => {
      await store.close();
      admin.disconnect();
    };
  });

  it('listings skip it and report each bad record once, with its id and what is wrong', async () => {
    expect((await store.list()).map((b) => b.id)).toEqual([good.id]);
    expect((await store.list({ poolKey: POOL, states: ['standby'] })).map((b) => b.id)).toEqual([good.id]);
    expect(reported.map((e) => [e.code, e.message])).toEqual([
      ['ERR_STORE_CORRUPT', `box ${badNumber.id} in Redis cannot be read: createdAt is not a number ("soon")`],
      ['ERR_STORE_CORRUPT', `box ${badJson.id} in Redis cannot be read: steps is not valid JSON`],
      ['ERR_STORE_CORRUPT', `box ${badState.id} in Redis cannot be read: state is not a box state ("bogus")`],
      ['ERR_STORE_CORRUPT', 'box box_ghost0000000 in Redis cannot be read: record is missing, though a pool index lists it'],
    ]);
  });

  it('get names it (for box show) with the key to repair, and cac leaves the record as it was', async () => {
    const before = await admin.hgetall(`${prefix}box:${badJson.id}`);
    const error = await store.get(badJson.id).catch((e: unknown) => e);
    expect(isCacError(error) && [error.code, error.message]).toEqual(['ERR_STORE_CORRUPT', `box ${badJson.id} in Redis cannot be read: steps is not valid JSON`]);
    expect(isCacError(error) && error.hint).toContain(`${prefix}box:${badJson.id}`);
    await store.list();
    expect(await admin.hgetall(`${prefix}box:${badJson.id}`)).toEqual(before);
    expect(await store.get(good.id)).toEqual(good);
  });

  it('a claim passes a bad standby record by and takes the next good one', async () => {
    const claimed = await store.claimStandby(POOL, { claimant: 'alice', leaseMs: 60_000, now: 10 });
    expect(claimed).toMatchObject({ id: good.id, state: 'claimed', claimant: 'alice' });
    expect(reported.map((e) => e.details?.id)).toEqual([badNumber.id, badJson.id]);
  });

  it('a reconcile round runs: the good standby box counts, nothing crashes', async () => {
    const manager = new DefaultPoolManager({ store, driver: testDockerDriver(RUN), steps: [], options: { lockTtlMs: 5_000 } });
    const r = await manager.reconcilePools([{ repoUrl: REPO, baseBranch: 'main', minStandby: 1, maxInstances: 10 }]);
    expect(r.outcome).toBe('success');
    expect(r.pools[0]?.plan).toMatchObject({ creates: 0, fails: [] });
    expect(r.pools[0]?.plan.notes[0]).toContain('standby 1');
    expect(new Set(reported.map((e) => e.details?.id)).size).toBe(reported.length);
  });
});
