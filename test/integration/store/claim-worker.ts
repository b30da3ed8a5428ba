// One OS process of the claim stress test: opens the store, says "ready", waits for "go" on stdin,
// claims until every pool is empty, then prints {claimant, ids} as one JSON line.
// Run: node --import tsx claim-worker.ts '<json WorkerArgs>'
import { createInterface } from 'node:readline';
import { RedisAgentBoxStore } from '../../../src/adapters/store/redis.js';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import type { BoxStore } from '../../../src/ports/box-store.js';

export interface WorkerArgs {
  kind: 'sqlite' | 'redis';
  /** The SQLite file or the Redis URL. */
  target: string;
  prefix: string;
  pools: string[];
  claimant: string;
  /** Claims in flight at once inside this process. */
  inflight: number;
  /** `[boxes] max_per_claimant` on each claim; off when absent. */
  maxPerClaimant?: number;
  /** One claimant for every worker (else each claims as its own name). */
  as?: string;
}

export interface WorkerResult {
  claimant: string;
  ids: string[];
}

function open(args: WorkerArgs): BoxStore {
  return args.kind === 'sqlite' ? new SqliteAgentBoxStore(args.target) : RedisAgentBoxStore.connect(args.target, { prefix: args.prefix });
}

async function claimAll(store: BoxStore, args: WorkerArgs): Promise<string[]> {
  const open = new Set(args.pools);
  const ids: string[] = [];
  let turn = 0;
  const lane = async (): Promise<void> => {
    while (open.size > 0) {
      const pools = [...open];
      const pool = pools[turn++ % pools.length] ?? '';
      const box = await store.claimStandby(pool, { claimant: args.as ?? args.claimant, leaseMs: 60_000, now: Date.now(), maxPerClaimant: args.maxPerClaimant ?? null });
      if (box) ids.push(box.id);
      else open.delete(pool);
    }
  };
  await Promise.all(Array.from({ length: args.inflight }, lane));
  return ids;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
  const store = open(args);
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  lines.close();
  const ids = await claimAll(store, args);
  await store.close();
  const result: WorkerResult = { claimant: args.claimant, ids };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
