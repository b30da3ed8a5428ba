// Claims on both stores, SQLite and Redis (Redis is required: it fails, never skips): one claim at a
// time in process; 16 processes claiming one pool at once, against the floor of each store measured in
// the same run by the same 16 processes (a bare Redis PING round trip, a bare SQLite BEGIN IMMEDIATE
// write transaction); Redis commands per claim; planPool over many pools. Every claim is checked:
// each seeded box claimed exactly once, by the process that says it claimed it.
// Run: node --import tsx bench/claims.ts   (Redis from CAC_TEST_REDIS_URL or .infra/env)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { RedisAgentBoxStore } from '../src/adapters/store/redis.js';
import { SqliteAgentBoxStore } from '../src/adapters/store/sqlite.js';
import { newBoxRecord, poolKeyOf, type Box, type BoxState } from '../src/domain/box.js';
import { planPool, type PoolSpec } from '../src/core/boxes/plan-pool.js';
import type { BoxStore } from '../src/ports/box-store.js';
import { readInfraEnv } from '../test/helpers/infra.js';
import { dropPrefix, uniquePrefix } from '../test/integration/store/redis-prefix.js';
import { REPO, seedPools } from '../test/integration/store/seed.js';
import type { WorkerArgs, WorkerResult } from './claim-worker.js';
import { fmtMs, median, mustBe, percentile, Targets } from './lib.js';

const CLAIMS = 2_000;
const PROCESSES = 16;
const PER_PROCESS = 200;
const POOLS = 1_000;
const BOXES_PER_POOL = 10;
const T0 = 1_700_000_000_000;
const WORKER = join(import.meta.dirname, 'claim-worker.ts');

type Row = [metric: string, value: string];
const targets = new Targets('claims');

/** The test Redis, which must answer: a bench that silently left Redis out would report half a result. */
async function redisUrl(): Promise<string> {
  const url = process.env.CAC_TEST_REDIS_URL ?? readInfraEnv().CAC_TEST_REDIS_URL;
  mustBe(url, 'no Redis: set CAC_TEST_REDIS_URL or run `just infra-up` (it writes .infra/env)');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined); // connect() rejects with the same error
  try {
    await client.connect();
    mustBe((await client.ping()) === 'PONG', `Redis at ${url} answers PING`);
  } catch (e) {
    throw new Error(`bench check failed: Redis at ${url} does not answer (${(e as Error).message}); run \`just infra-up\``);
  } finally {
    client.disconnect();
  }
  return url;
}

const ms = (n: number): string => `${fmtMs(n)} ms`;

/** Seeds CLAIMS standby boxes, then claims them one at a time; returns the latencies. */
async function claimLatencies(store: BoxStore): Promise<number[]> {
  const seeded = await seedPools(store, ['main'], CLAIMS, T0);
  const pool = poolKeyOf(REPO, 'main');
  const latencies: number[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < CLAIMS; i++) {
    const start = performance.now();
    const box = await store.claimStandby(pool, { claimant: 'bench', leaseMs: 60_000, now: T0 + CLAIMS + i });
    latencies.push(performance.now() - start);
    mustBe(box?.state === 'claimed' && box.claimant === 'bench', `claim ${i} returns a claimed box`);
    ids.add(box.id);
  }
  mustBe(ids.size === seeded.length && (await store.claimStandby(pool, { claimant: 'bench', leaseMs: 1, now: T0 })) === null, `${CLAIMS} claims took ${CLAIMS} distinct boxes and emptied the pool`);
  return latencies;
}

const latencyRows = (name: string, xs: number[]): Row[] => [
  [`${name}: claim p50 (${xs.length} claims one at a time, in process)`, ms(percentile(xs, 50))],
  [`${name}: claim p99`, ms(percentile(xs, 99))],
];

/** Starts the processes, waits until all are ready, says go to all, and collects their results. */
async function runWorkers(base: Omit<WorkerArgs, 'claimant'>): Promise<{ results: WorkerResult[]; wallMs: number }> {
  const children = Array.from({ length: PROCESSES }, (_, i) => {
    const args: WorkerArgs = { ...base, claimant: `p${i}` };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { child, lines, exited };
  });
  for (const { lines } of children) mustBe((await lines.next()).value === 'ready', 'a worker process started');
  const start = performance.now();
  for (const { child } of children) child.stdin.end('go\n');
  const results: WorkerResult[] = [];
  for (const { lines } of children) results.push(JSON.parse(String((await lines.next()).value)) as WorkerResult);
  const wallMs = performance.now() - start;
  for (const { exited } of children) mustBe((await exited) === 0, 'a worker process exited 0');
  return { results, wallMs };
}

/**
 * PROCESSES processes claim PROCESSES × PER_PROCESS boxes of one pool at once, between two floor runs
 * by the same number of processes (so machine noise hits both alike).
 */
async function concurrentRows(name: string, store: BoxStore, base: Pick<WorkerArgs, 'kind' | 'target' | 'prefix'>, checkFloor: (answers: string[]) => void): Promise<Row[]> {
  const pool = poolKeyOf(REPO, `concurrent-${base.kind}`);
  const seeded = await seedPools(store, [`concurrent-${base.kind}`], PROCESSES * PER_PROCESS, T0);
  const floorRun = async () => {
    const { results } = await runWorkers({ ...base, op: 'floor', pool, ops: PER_PROCESS / 2 });
    checkFloor(results.flatMap((r) => r.ids));
    return results.flatMap((r) => r.latencies);
  };
  // floor, claims, floor: so machine noise hits both alike
  const before = await floorRun();
  const { results: claims, wallMs } = await runWorkers({ ...base, op: 'claim', pool, ops: 0 });
  const floor = [...before, ...(await floorRun())];
  const reported = claims.flatMap((r) => r.ids.map((id) => ({ id, claimant: r.claimant })));
  const records = new Map((await store.list({ poolKey: pool })).map((b) => [b.id, b]));
  mustBe(
    reported.length === seeded.length && new Set(reported.map((r) => r.id)).size === seeded.length,
    `${name}: each of ${seeded.length} boxes claimed exactly once (got ${reported.length} claims)`,
  );
  mustBe(
    reported.every((r) => records.get(r.id)?.state === 'claimed' && records.get(r.id)?.claimant === r.claimant),
    `${name}: every box is recorded claimed by the process that claimed it`,
  );
  mustBe(claims.filter((r) => r.ids.length > 0).length > PROCESSES / 2, `${name}: the processes really raced`);

  // the mean, not the median: what contention costs (lock waits, retries) is in the slow claims
  const latencies = claims.flatMap((r) => r.latencies);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const what = base.kind === 'redis' ? 'PING round trip' : 'BEGIN IMMEDIATE write transaction';
  return [
    [
      `${name}: ${PROCESSES} processes claim ${seeded.length} boxes at once, claim mean / p50 / p99`,
      `${ms(mean(latencies))} / ${ms(median(latencies))} / ${ms(percentile(latencies, 99))} (${Math.round(latencies.length / (wallMs / 1000))} claims/s)`,
    ],
    [`${name}: floor, the same ${PROCESSES} processes, bare ${what} mean / p50 / p99`, `${ms(mean(floor))} / ${ms(median(floor))} / ${ms(percentile(floor, 99))}`],
    [`${name}: concurrent claim mean / floor mean`, targets.check(`${name}: ${PROCESSES}-process claim mean / bare ${what} mean`, mean(latencies) / mean(floor), '≤', 3, '×')],
    // the tail under contention against the tail of the bare operation under the same contention
    [`${name}: concurrent claim p99 / floor p99`, targets.check(`${name}: ${PROCESSES}-process claim p99 / bare ${what} p99`, percentile(latencies, 99) / percentile(floor, 99), '≤', 10, '×')],
    ...commandRows(name, claims),
  ];
}

/** Redis: the commands the 16 racing processes sent per claim call (each one round trip), counted in each process. */
function commandRows(name: string, claims: readonly WorkerResult[]): Row[] {
  if (claims.some((r) => r.commands === undefined)) return [];
  const commands = claims.reduce((n, r) => n + (r.commands ?? 0), 0);
  const attempts = claims.reduce((n, r) => n + r.attempts, 0);
  mustBe(commands >= attempts, `${name}: the racing processes counted their commands (${commands} for ${attempts} claims)`);
  return [[`${name}: ${PROCESSES}-process commands per claim (each one round trip)`, targets.check(`${name}: ${PROCESSES}-process commands per claim`, commands / attempts, '≤', 3, '')]];
}

async function sqliteRows(): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cac-bench-'));
  const file = join(dir, 'boxes.db');
  const store = new SqliteAgentBoxStore(file);
  const db = new Database(file);
  try {
    // the floor's one counter row: each bare write transaction increments it
    db.exec('CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); INSERT INTO bench_floor (id, n) VALUES (1, 0)');
    let floorTotal = 0;
    // the counter must have moved once per transaction: each answer is the counter after it
    const checkFloor = (answers: string[]) => {
      floorTotal += answers.length;
      const n = (db.prepare('SELECT n FROM bench_floor WHERE id = 1').get() as { n: number }).n;
      mustBe(n === floorTotal && new Set(answers).size === answers.length, `SQLite floor: ${floorTotal} committed write transactions (counter at ${n})`);
    };
    return [...latencyRows('SQLite', await claimLatencies(store)), ...(await concurrentRows('SQLite', store, { kind: 'sqlite', target: file, prefix: '' }, checkFloor))];
  } finally {
    db.close();
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
    const rows = latencyRows('Redis', await claimLatencies(store));
    // count on a fresh pool, claims only (seeding sends its own commands)
    const seeded = await seedPools(store, ['count'], 100, T0);
    counting = true;
    for (const box of seeded) mustBe((await store.claimStandby(box.poolKey, { claimant: 'count', leaseMs: 1, now: T0 })) !== null, 'a counted claim finds a box');
    counting = false;
    rows.push(['Redis: commands per claim (each one round trip)', targets.check('Redis commands per claim', commands / seeded.length, '≤', 3, '')]);
    const checkFloor = (answers: string[]) =>
      mustBe(
        answers.every((a) => a === 'PONG'),
        'Redis floor: every PING answered PONG',
      );
    rows.push(...(await concurrentRows('Redis', store, { kind: 'redis', target: url, prefix }, checkFloor)));
    return rows;
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
  const actionsPerRun: number[] = [];
  for (let r = 0; r < 10; r++) {
    let actions = 0;
    const start = performance.now();
    for (const snapshot of pools) {
      const plan = planPool(snapshot, spec, T0 + 300_000);
      actions += plan.creates + plan.destroys.length + plan.fails.length + plan.releases.length;
    }
    runs.push(performance.now() - start);
    actionsPerRun.push(actions);
  }
  // a planner that planned nothing would be fast for nothing; a pure one plans the same every time
  mustBe(
    actionsPerRun.every((a) => a > 0 && a === actionsPerRun[0]),
    `planPool plans the same actions every run, got ${actionsPerRun.join(', ')}`,
  );
  return [
    [`planPool, ${POOLS} pools × ${BOXES_PER_POOL} boxes (median of 10 runs)`, targets.check('planPool over 1,000 pools, median', median(runs), '≤', 50, 'ms')],
    ['planPool, fastest / slowest run', `${ms(Math.min(...runs))} / ${ms(Math.max(...runs))}`],
    ['planned actions per run', String(actionsPerRun[0])],
  ];
}

const url = await redisUrl();
const rows: Row[] = [...(await sqliteRows()), ...(await redisRows(url)), ...planRows()];
console.log(`\nclaims on both stores, ${PROCESSES}-process concurrent claims against each store's floor, planPool\n`);
process.stdout.write(`${['| metric | value |', '|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')}\n`);
targets.finish();
