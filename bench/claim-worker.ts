// One OS process of bench/claims.ts's concurrent case: opens the store (or a bare connection to it), says
// "ready", waits for "go" on stdin, then either claims from the pool until it is empty, or runs `ops`
// bare round trips (the floor: a Redis PING, a SQLite write transaction), timing each one. Prints
// {ids, latencies} as one JSON line.
// Run: node --import tsx bench/claim-worker.ts '<json WorkerArgs>'
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { RedisAgentBoxStore } from '../src/adapters/store/redis.js';
import { SqliteAgentBoxStore } from '../src/adapters/store/sqlite.js';
import type { BoxStore } from '../src/ports/box-store.js';

export interface WorkerArgs {
  kind: 'sqlite' | 'redis';
  op: 'claim' | 'floor';
  /** The SQLite file or the Redis URL. */
  target: string;
  /** Redis key prefix of the store. */
  prefix: string;
  pool: string;
  claimant: string;
  /** Floor round trips to run. */
  ops: number;
}

export interface WorkerResult {
  claimant: string;
  /** Boxes this process claimed (claim), or the floor's answers (floor). */
  ids: string[];
  latencies: number[];
  /** Claims: calls to claimStandby, the last (empty) one included. */
  attempts: number;
  /** Redis claims: commands the store sent (each one round trip). */
  commands?: number;
}

interface Runner {
  /** One timed operation; its answer (a box id, PONG, the counter), or null when the pool is empty. */
  once(): Promise<string | null>;
  close(): Promise<void>;
  /** Store commands sent so far (Redis claims). */
  commands?: () => number;
}

function claimer(args: WorkerArgs): Runner {
  let commands = 0;
  let store: BoxStore;
  if (args.kind === 'sqlite') store = new SqliteAgentBoxStore(args.target);
  else {
    // every command the store sends is one round trip: counted where it leaves
    const client = new Redis(args.target);
    const send = client.sendCommand.bind(client);
    client.sendCommand = (command, stream) => {
      commands += 1;
      return send(command, stream);
    };
    store = new RedisAgentBoxStore(client, { prefix: args.prefix });
  }
  return {
    once: async () => (await store.claimStandby(args.pool, { claimant: args.claimant, leaseMs: 60_000, now: Date.now() }))?.id ?? null,
    close: () => store.close(),
    ...(args.kind === 'redis' ? { commands: () => commands } : {}),
  };
}

function floor(args: WorkerArgs): Runner {
  if (args.kind === 'redis') {
    const client = new Redis(args.target);
    return { once: () => client.ping(), close: async () => void client.disconnect() };
  }
  // the same connection settings as SqliteAgentBoxStore, and the same BEGIN IMMEDIATE transaction, on
  // the counter row bench/claims.ts made (table bench_floor)
  const db = new Database(args.target);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const bump = db.prepare<[], { n: number }>('UPDATE bench_floor SET n = n + 1 WHERE id = 1 RETURNING n');
  const tx = db.transaction(() => bump.get()?.n);
  return { once: async () => String(tx.immediate()), close: async () => void db.close() };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
  const runner = args.op === 'claim' ? claimer(args) : floor(args);
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line === 'go') break;
  lines.close();
  const ids: string[] = [];
  const latencies: number[] = [];
  const before = runner.commands?.() ?? 0;
  let attempts = 0;
  for (let i = 0; args.op === 'claim' || i < args.ops; i++) {
    const start = performance.now();
    attempts += 1;
    const answer = await runner.once();
    const took = performance.now() - start;
    if (answer === null) break; // the pool is empty: the last, empty claim is not timed
    ids.push(answer);
    latencies.push(took);
  }
  const commands = runner.commands ? runner.commands() - before : undefined;
  await runner.close();
  const result: WorkerResult = { claimant: args.claimant, ids, latencies, attempts, ...(commands !== undefined ? { commands } : {}) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
