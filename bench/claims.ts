// Claim latency on SQLite and Redis, Redis commands per claim, and planPool over many pools.
// Run: node --import tsx bench/claims.ts   (Redis from CAC_TEST_REDIS_URL or .infra/env; skipped if absent)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { RedisAgentBoxStore } from '../src/adapters/store/redis.js';
import { SqliteAgentBoxStore } from '../src/adapters/store/sqlite.js';
import { newBoxRecord, poolKeyOf, type Box, type BoxState } from '../src/domain/box.js';
import { planPool, type PoolSpec } from '../src/core/boxes/plan-pool.js';
import type { BoxStore } from '../src/ports/box-store.js';
import { dropPrefix, uniquePrefix } from '../test/integration/store/redis-prefix.js';
import { REPO, seedPools } from '../test/integration/store/seed.js';

const CLAIMS = 2_000;
const POOLS = 1_000;
const BOXES_PER_POOL = 10;
const T0 = 1_700_000_000_000;

type Row = [metric: string, value: string, target: string];

function redisUrl(): string | undefined {
  if (process.env.CAC_TEST_REDIS_URL) return process.env.CAC_TEST_REDIS_URL;
  const file = resolve(import.meta.dirname, '../.infra/env');
  if (!existsSync(file)) return undefined;
  return /^CAC_TEST_REDIS_URL=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim();
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const ms = (n: number): string => `${n.toFixed(3)} ms`;

/** Seeds CLAIMS standby boxes, then claims them one at a time; returns the sorted latencies. */
async function claimLatencies(store: BoxStore): Promise<number[]> {
  await seedPools(store, ['main'], CLAIMS, T0);
  const pool = poolKeyOf(REPO, 'main');
  const latencies: number[] = [];
  for (let i = 0; i < CLAIMS; i++) {
    const start = performance.now();
    const box = await store.claimStandby(pool, { claimant: 'bench', leaseMs: 60_000, now: T0 + CLAIMS + i });
    latencies.push(performance.now() - start);
    if (!box) throw new Error(`claim ${i} found no standby box`);
  }
  return latencies.sort((a, b) => a - b);
}

function latencyRows(name: string, sorted: number[]): Row[] {
  return [
    [`${name} claim p50 (${sorted.length} claims, in process)`, ms(percentile(sorted, 0.5)), ''],
    [`${name} claim p99`, ms(percentile(sorted, 0.99)), ''],
  ];
}

async function sqliteRows(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cac-bench-'));
  const store = new SqliteAgentBoxStore(join(dir, 'boxes.db'));
  try {
    return latencyRows('SQLite', await claimLatencies(store));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function redisRows(url: string): Promise<Row[]> {
  const prefix = uniquePrefix();
  const client = new Redis(url);
  const store = new RedisAgentBoxStore(client, { prefix });
  let counting = false;
  let commands = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    if (counting) commands += 1;
    return send(command, stream);
  };
  try {
    const sorted = await claimLatencies(store);
    // count on a fresh pool, claims only (seeding sends its own commands)
    const seeded = await seedPools(store, ['count'], 100, T0);
    counting = true;
    for (const box of seeded) await store.claimStandby(box.poolKey, { claimant: 'count', leaseMs: 1, now: T0 });
    counting = false;
    return [...latencyRows('Redis', sorted), ['Redis commands per claim (each one round trip)', (commands / seeded.length).toFixed(2), '≤ 3']];
  } finally {
    await store.close();
    await dropPrefix(url, prefix);
  }
}

/** 1,000 pools × 10 boxes in mixed states, planned 10 times; the median run is reported. */
function planRows(): Row[] {
  const states: BoxState[] = ['standby', 'standby', 'provisioning', 'requested', 'claimed', 'ready', 'failed', 'releasing', 'standby', 'claimed'];
  const pools = Array.from({ length: POOLS }, (_, p) => {
    const boxes: Box[] = states.map((state, i) => ({
      ...newBoxRecord({ repoUrl: `${REPO}/${p}`, baseBranch: 'main', deadlineAt: T0 + (i % 3) * 600_000, now: T0 + i }, `box_${p}_${i}`, `k${p}_${i}`),
      state,
      leaseExpiresAt: T0 + i * 60_000,
    }));
    return { boxes, health: { consecutiveFailures: p % 4, lastFailureAt: T0, paused: p % 50 === 0 } };
  });
  const spec: PoolSpec = { repoUrl: REPO, baseBranch: 'main', minStandby: 4, maxInstances: 12, provisionTimeoutMs: 900_000, failedRetentionMs: 1_800_000, backoffIntervalMs: 60_000 };
  const runs: number[] = [];
  let actions = 0;
  for (let r = 0; r < 10; r++) {
    const start = performance.now();
    for (const snapshot of pools) {
      const plan = planPool(snapshot, spec, T0 + 300_000);
      actions += plan.creates + plan.destroys.length + plan.fails.length + plan.releases.length;
    }
    runs.push(performance.now() - start);
  }
  runs.sort((a, b) => a - b);
  return [
    [`planPool, ${POOLS} pools × ${BOXES_PER_POOL} boxes (median of 10 runs)`, ms(percentile(runs, 0.5)), '≤ 50 ms'],
    [`planPool, fastest / slowest run`, `${ms(runs[0] ?? NaN)} / ${ms(runs[runs.length - 1] ?? NaN)}`, ''],
    ['planned actions (sanity)', String(actions / runs.length), ''],
  ];
}

async function main(): Promise<void> {
  const rows: Row[] = [...(await sqliteRows())];
  const url = redisUrl();
  if (url) rows.push(...(await redisRows(url)));
  else rows.push(['Redis', 'skipped: no CAC_TEST_REDIS_URL (just infra-up)', '']);
  rows.push(...planRows());
  const lines = ['| metric | value | target |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
