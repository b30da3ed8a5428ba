// The store contract on the test Redis, a unique key prefix per test (deleted afterwards), plus the
// one-round-trip claim.
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { RedisAgentBoxStore } from '../../../src/adapters/store/redis.js';
import { describeWith, infra } from '../../helpers/infra.js';
import { boxStoreContract } from './contract.js';
import { seedStandby } from './seed.js';
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
      client.sendCommand = original;
      expect(claimed?.id).toBe(box.id);
      expect(sent).toEqual(['evalsha']);
      const keys = await client.keys(`*${box.id}*`);
      expect(keys).toEqual([`${prefix}box:${box.id}`]);
    } finally {
      await store.close();
      await dropPrefix(url, prefix);
    }
  });
});
