// One OS process of the limit races: opens the store, says "ready", waits for "go" on stdin, then asks for
// a cold box in each pool within `limits` and prints {claimant, ids} (the boxes it got) as one JSON line.
// Run: node --import tsx create-worker.ts '<json CreateWorkerArgs>'
import { createInterface } from 'node:readline';
import { RedisAgentBoxStore } from '../../../src/adapters/store/redis.js';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import type { BoxStore, CreateLimits } from '../../../src/ports/box-store.js';
import type { WorkerResult } from './claim-worker.js';

export interface CreateWorkerArgs {
  kind: 'sqlite' | 'redis';
  /** The SQLite file or the Redis URL. */
  target: string;
  prefix: string;
  repoUrl: string;
  /** One pool per base branch. */
  branches: string[];
  limits: CreateLimits;
  /** The worker's name: the boxes' claimant, unless `as` names one claimant for every worker. */
  claimant: string;
  as?: string;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as CreateWorkerArgs;
  const store: BoxStore = args.kind === 'sqlite' ? new SqliteAgentBoxStore(args.target) : RedisAgentBoxStore.connect(args.target, { prefix: args.prefix });
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  lines.close();
  const ids: string[] = [];
  for (const baseBranch of args.branches) {
    const now = Date.now();
    const box = await store.createBoxIfRoom(
      { repoUrl: args.repoUrl, baseBranch, claimant: args.as ?? args.claimant, leaseExpiresAt: now + 60_000, deadlineAt: now + 60_000, now },
      { idempotencyKey: `${args.claimant}:${baseBranch}`, ...args.limits },
    );
    if (!('refused' in box)) ids.push(box.id);
  }
  await store.close();
  const result: WorkerResult = { claimant: args.claimant, ids };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
