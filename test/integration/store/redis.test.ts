// The store contract on the test Redis, a unique key prefix per test (deleted afterwards), plus the
// one-round-trip claim.
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { RedisAgentBoxStore } from '../../../src/adapters/store/redis.js';
import { describeWith, infra } from '../../helpers/infra.js';
import { boxStoreContract } from './contract.js';
import { REPO, seedStandby } from './seed.js';
import { dropPrefix, uniquePrefix } from './redis-prefix.js';

describeWith(['redis'], 'RedisAgentBoxStore', () => {
  const url = infra.CAC_TEST_REDIS_URL ?? '';

  boxStoreContract('redis', async () => {
    const prefix = uniquePrefix();
    const store = RedisAgentBoxStore.connect(url, { prefix });
    return {
      store,
      dispose: async () => {
        await store.close();
        await dropPrefix(url, prefix);
      },
    };
  });

  it('claims in one command (EVALSHA) once the script is loaded, and keeps keys under its prefix', async () => {
    const prefix = uniquePrefix();
    const client = new Redis(url);
    const store = new RedisAgentBoxStore(client, { prefix });
    try {
      const box = await seedStandby(store, 1);
      await store.claimStandby('warm-up#main', { claimant: 'x', leaseMs: 1, now: 1 });
      const sent: string[] = [];
      const original = client.sendCommand.bind(client);
      client.sendCommand = (command, stream) => {
        sent.push(command.name);
        return original(command, stream);
      };
      const claimed = await store.claimStandby(box.poolKey, { claimant: 'alice', leaseMs: 10, now: 2 });
      // max_per_claimant is counted inside the same script: still one command
      const limited = await store.claimStandby(box.poolKey, { claimant: 'bob', leaseMs: 10, now: 2, maxPerClaimant: 3 });
      client.sendCommand = original;
      expect(claimed?.id).toBe(box.id);
      expect(limited).toBeNull();
      expect(sent).toEqual(['evalsha', 'evalsha']);
      const keys = await client.keys(`*${box.id}*`);
      expect(keys).toEqual([`${prefix}box:${box.id}`]);
    } finally {
      await store.close();
      await dropPrefix(url, prefix);
    }
  });

  it('counts toward max_per_claimant the boxes recorded before the claimant index existed (added on the first count)', async () => {
    const prefix = uniquePrefix();
    const client = new Redis(url);
    const store = new RedisAgentBoxStore(client, { prefix });
    try {
      const cold = await store.createBox({ repoUrl: REPO, baseBranch: 'main', claimant: 'bob', leaseExpiresAt: 9, deadlineAt: 9, now: 1 }, { idempotencyKey: 'bob-1' });
      const standby = await seedStandby(store, 2, 'dev');
      await store.claimStandby(standby.poolKey, { claimant: 'bob', leaseMs: 10, now: 3 });
      // as a store written by a cac without the index: no claimant sets, no marker
      await client.del(`${prefix}claimant:bob`, `${prefix}claimants:indexed`);
      const refused = await store.createBoxIfRoom({ repoUrl: REPO, baseBranch: 'next', claimant: 'bob', leaseExpiresAt: 9, deadlineAt: 9, now: 4 }, { idempotencyKey: 'bob-3', maxPerClaimant: 2 });
      expect(refused).toEqual({ refused: 'max_per_claimant', max: 2, count: 2 });
      expect((await client.smembers(`${prefix}claimant:bob`)).sort()).toEqual([cold.id, standby.id].sort());
      // a box that left the held states is dropped from its claimant's set when counted
      await store.transition(cold.id, { from: 'requested', to: 'failed', now: 5 });
      expect(
        await store.createBoxIfRoom({ repoUrl: REPO, baseBranch: 'next', claimant: 'bob', leaseExpiresAt: 9, deadlineAt: 9, now: 6 }, { idempotencyKey: 'bob-4', maxPerClaimant: 2 }),
      ).toMatchObject({ claimant: 'bob' });
      expect(await client.sismember(`${prefix}claimant:bob`, cold.id)).toBe(0);
    } finally {
      await store.close();
      await dropPrefix(url, prefix);
    }
  });
});
