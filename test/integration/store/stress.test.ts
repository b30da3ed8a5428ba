// 8 OS processes claim 10,000 seeded standby boxes at once, on SQLite and on Redis: no box may be
// claimed twice and no claim may be lost (docs/architecture.md rule 1).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisAgentBoxStore } from '../../../src/adapters/store/redis.js';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import { poolKeyOf } from '../../../src/domain/box.js';
import type { BoxStore } from '../../../src/ports/box-store.js';
import { describeWith, infra } from '../../helpers/infra.js';
import type { WorkerArgs, WorkerResult } from './claim-worker.js';
import type { CreateWorkerArgs } from './create-worker.js';
import { dropPrefix, uniquePrefix } from './redis-prefix.js';
import { REPO, seedPools } from './seed.js';

const WORKERS = 8;
const BRANCHES = ['main', 'dev', 'release', 'next'];
const PER_POOL = 2_500;
const WORKER = join(import.meta.dirname, 'claim-worker.ts');
const CREATE_WORKER = join(import.meta.dirname, 'create-worker.ts');
const RACE_POOLS = Array.from({ length: 300 }, (_, i) => `race-${i}`);

/** Starts every worker, waits until all are ready, says go to all, and collects their results. */
async function runWorkers(base: Omit<WorkerArgs, 'claimant'>): Promise<WorkerResult[]> {
  return race(WORKER, (claimant) => ({ ...base, claimant }));
}

async function race(worker: string, argsOf: (claimant: string) => object): Promise<WorkerResult[]> {
  const children = Array.from({ length: WORKERS }, (_, i) => {
    const args = argsOf(`worker-${i}`);
    const child = spawn(process.execPath, ['--import', 'tsx', worker, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { child, lines, exited };
  });
  for (const { lines } of children) expect((await lines.next()).value).toBe('ready');
  for (const { child } of children) child.stdin.end('go\n');
  const results: WorkerResult[] = [];
  for (const { lines, exited } of children) {
    const line: unknown = (await lines.next()).value;
    expect(await exited).toBe(0);
    results.push(JSON.parse(String(line)) as WorkerResult);
  }
  return results;
}

async function stress(store: BoxStore, base: Omit<WorkerArgs, 'claimant' | 'pools'>): Promise<void> {
  const seeded = await seedPools(store, BRANCHES, PER_POOL, 1_700_000_000_000);
  const results = await runWorkers({ ...base, pools: BRANCHES.map((b) => poolKeyOf(REPO, b)) });
  const reported = results.flatMap((r) => r.ids.map((id) => ({ id, claimant: r.claimant })));
  const claimed = await store.list({ states: ['claimed'] });
  const byId = new Map(claimed.map((b) => [b.id, b]));

  expect(reported).toHaveLength(seeded.length);
  expect(new Set(reported.map((r) => r.id)).size).toBe(seeded.length); // zero claimed twice
  expect(claimed).toHaveLength(seeded.length); // zero lost: every seeded box is claimed
  for (const { id, claimant } of reported) expect(byId.get(id)).toMatchObject({ claimant, fence: 1 });
  expect(results.filter((r) => r.ids.length > 0).length).toBeGreaterThan(WORKERS / 2); // they really raced
  expect(await store.list({ states: ['standby'] })).toEqual([]);
}

/**
 * Every worker asks for a box in each of RACE_POOLS, each pool holding `maxLive - 1` boxes already: the
 * last place of every pool goes to exactly one process (max_instances is atomic across processes).
 */
async function lastPlaceRace(store: BoxStore, base: Pick<CreateWorkerArgs, 'kind' | 'target' | 'prefix'>): Promise<void> {
  const maxLive = 2;
  await Promise.all(RACE_POOLS.map((b) => store.createBox({ repoUrl: REPO, baseBranch: b, deadlineAt: Date.now() + 60_000, now: Date.now() }, { idempotencyKey: `first-${b}` })));
  const results = await race(CREATE_WORKER, (claimant): CreateWorkerArgs => ({ ...base, repoUrl: REPO, branches: RACE_POOLS, limits: { maxInstances: maxLive }, claimant }));
  const won = results.flatMap((r) => r.ids);
  expect(won).toHaveLength(RACE_POOLS.length);
  for (const b of RACE_POOLS) expect(await store.list({ poolKey: poolKeyOf(REPO, b) })).toHaveLength(maxLive);
  expect(results.filter((r) => r.ids.length > 0).length).toBeGreaterThan(1); // they really raced
}

/**
 * The fleet limits across processes: every worker asks for a cold box in each of RACE_POOLS against
 * max_live = 200 (one box live already), then claims as ONE claimant from 60 standby boxes while that
 * claimant already holds 2 cold boxes, against max_per_claimant = 7: exactly 199 creates and 5 claims win.
 */
async function limitRaces(store: BoxStore, base: Pick<CreateWorkerArgs, 'kind' | 'target' | 'prefix'>): Promise<void> {
  await store.createBox({ repoUrl: REPO, baseBranch: 'first', deadlineAt: Date.now() + 60_000, now: Date.now() }, { idempotencyKey: 'first' });
  const created = await race(CREATE_WORKER, (claimant): CreateWorkerArgs => ({ ...base, repoUrl: REPO, branches: RACE_POOLS, limits: { maxLive: 200 }, claimant }));
  expect(created.flatMap((r) => r.ids)).toHaveLength(199);
  expect(created.filter((r) => r.ids.length > 0).length).toBeGreaterThan(1); // they really raced
  expect(await store.list({ states: ['requested'] })).toHaveLength(200);

  const pool = poolKeyOf(REPO, 'claims');
  await seedPools(store, ['claims'], 60, 1_700_000_000_000);
  for (const k of ['held-1', 'held-2']) {
    await store.createBox({ repoUrl: REPO, baseBranch: 'cold', claimant: 'alice', leaseExpiresAt: Date.now() + 60_000, deadlineAt: Date.now() + 60_000, now: Date.now() }, { idempotencyKey: k });
  }
  const claimed = await runWorkers({ ...base, pools: [pool], inflight: 2, maxPerClaimant: 7, as: 'alice' });
  expect(claimed.flatMap((r) => r.ids)).toHaveLength(5);
  expect((await store.list({ poolKey: pool, states: ['claimed'] })).map((b) => b.claimant)).toEqual(Array(5).fill('alice'));
  expect(await store.list({ poolKey: pool, states: ['standby'] })).toHaveLength(55);
}

describe('claim stress: SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cac-stress-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${WORKERS} processes claim ${BRANCHES.length * PER_POOL} boxes, each exactly once`, async () => {
    const file = join(dir, 'boxes.db');
    const store = new SqliteAgentBoxStore(file);
    try {
      await stress(store, { kind: 'sqlite', target: file, prefix: '', inflight: 1 });
    } finally {
      await store.close();
    }
  });

  it(`${WORKERS} processes race for max_live and max_per_claimant places: exactly the limits win`, async () => {
    const file = join(dir, 'limits.db');
    const store = new SqliteAgentBoxStore(file);
    try {
      await limitRaces(store, { kind: 'sqlite', target: file, prefix: '' });
    } finally {
      await store.close();
    }
  });

  it(`${WORKERS} processes race for the last place of ${RACE_POOLS.length} pools: one each`, async () => {
    const file = join(dir, 'race.db');
    const store = new SqliteAgentBoxStore(file);
    try {
      await lastPlaceRace(store, { kind: 'sqlite', target: file, prefix: '' });
    } finally {
      await store.close();
    }
  });
});

describeWith(['redis'], 'claim stress: Redis', () => {
  it(`${WORKERS} processes claim ${BRANCHES.length * PER_POOL} boxes, each exactly once`, async () => {
    const url = infra.CAC_TEST_REDIS_URL ?? '';
    const prefix = uniquePrefix();
    const store = RedisAgentBoxStore.connect(url, { prefix });
    try {
      await stress(store, { kind: 'redis', target: url, prefix, inflight: 4 });
    } finally {
      await store.close();
      await dropPrefix(url, prefix);
    }
  });

  it(`${WORKERS} processes race for max_live and max_per_claimant places: exactly the limits win`, async () => {
    const url = infra.CAC_TEST_REDIS_URL ?? '';
    const prefix = uniquePrefix();
    const store = RedisAgentBoxStore.connect(url, { prefix });
    try {
      await limitRaces(store, { kind: 'redis', target: url, prefix });
    } finally {
      await store.close();
      await dropPrefix(url, prefix);
    }
  });

  it(`${WORKERS} processes race for the last place of ${RACE_POOLS.length} pools: one each`, async () => {
    const url = infra.CAC_TEST_REDIS_URL ?? '';
    const prefix = uniquePrefix();
    const store = RedisAgentBoxStore.connect(url, { prefix });
    try {
      await lastPlaceRace(store, { kind: 'redis', target: url, prefix });
    } finally {
      await store.close();
      await dropPrefix(url, prefix);
    }
  });
});
