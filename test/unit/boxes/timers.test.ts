// The documented timers, driven by a manual clock (never by waiting): `[boxes] lease_ttl` (default 8h)
// is the lease of a claim and reconcile releases a box once it ran out; a failed box is kept one hour
// by default, then destroyed; `--interval` (through the app's pool manager) is the backoff unit.
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { allocator, poolManager } from '../../../src/app/boxes.js';
import { createContext, type AppContext } from '../../../src/app/context.js';
import { parseConfig } from '../../../src/config/parse.js';
import type { Config } from '../../../src/config/schema.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { AllocatorService } from '../../../src/core/boxes/allocator.js';
import { boxSteps } from '../../../src/core/provision/vm-steps.js';
import { poolKeyOf, type Box } from '../../../src/domain/box.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import { tempHome } from '../../helpers/run-cli.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const POOL = poolKeyOf(REPO, 'main');
const pools = (minStandby = 0) => [{ repoUrl: REPO, baseBranch: 'main', minStandby, maxInstances: 5 }];

function world() {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const driver = new FakeVmDriver(clock.now);
  const steps = boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB', login: async () => {} });
  // only the defaults under test: no retention, lease or backoff option given
  const manager = new DefaultPoolManager({ store, driver, steps, now: clock.now });
  const started: Box[] = [];
  const alloc = (leaseMs?: number) => new AllocatorService({ store, driver, pools: pools(), now: clock.now, startProvisioning: async (b) => void started.push(b), ...(leaseMs ? { leaseMs } : {}) });
  const standby = async (): Promise<Box> => {
    await manager.reconcilePools(pools(1));
    const [box] = await store.list({ states: ['standby'] });
    if (!box) throw new Error('reconcile made no standby box');
    return box;
  };
  return { clock, store, driver, manager, alloc, standby, started };
}

async function appContext(): Promise<AppContext> {
  const stdio = { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough(), env: { ...tempHome().env, NO_COLOR: '1' } };
  return createContext(stdio, { json: true, quiet: false, verbose: false, color: false, config: undefined }, new AbortController().signal);
}

const config = (toml: string): Config => parseConfig(toml, 'c.toml').config;

describe('lease_ttl: the lease of a claim', () => {
  it('defaults to 8 hours, warm and cold', async () => {
    const w = world();
    await w.standby();
    w.clock.advance(MIN);
    const warm = await w.alloc().requestBox({ repoUrl: REPO, requestedBy: 'a' });
    expect(warm.box.leaseExpiresAt).toBe(w.clock.now() + 8 * HOUR);
    const cold = await w.alloc().requestBox({ repoUrl: REPO, requestedBy: 'b' });
    expect(cold).toMatchObject({ warm: false, box: { leaseExpiresAt: w.clock.now() + 8 * HOUR } });
  });

  it('comes from [boxes] lease_ttl through the app allocator (8h when absent)', async () => {
    const ctx = await appContext();
    for (const [toml, leaseMs] of [
      ['[boxes]\nlease_ttl = "90m"\n', 90 * MIN],
      ['', 8 * HOUR],
    ] as const) {
      const w = world();
      await w.standby();
      const grant = await (await allocator(ctx, config(toml), w.store)).requestBox({ repoUrl: REPO, requestedBy: 'a' });
      expect(grant.warm).toBe(true);
      expect((grant.box.leaseExpiresAt ?? 0) - (grant.box.claimedAt ?? 0)).toBe(leaseMs);
    }
    expect(defaultConfig().boxes.lease_ttl).toBe('8h');
  });

  it('reconcile releases a claimed box once its lease ran out, not a moment before', async () => {
    const w = world();
    await w.standby();
    const { box } = await w.alloc(2 * HOUR).requestBox({ repoUrl: REPO, requestedBy: 'ticket-7' });
    w.clock.advance(2 * HOUR - 1);
    const early = await w.manager.reconcilePools(pools(0));
    expect(early.pools[0]?.applied?.released).toEqual([]);
    expect(w.store.box(box.id).state).toBe('ready');
    w.clock.advance(1);
    const due = await w.manager.reconcilePools(pools(0));
    expect(due.pools[0]?.applied?.released).toEqual([box.id]);
    expect(w.store.box(box.id)).toMatchObject({ state: 'destroyed', error: null, releaseReason: `lease of ticket-7 expired at ${new Date(box.leaseExpiresAt ?? 0).toISOString()} (ready)` });
    expect(w.driver.vms.size).toBe(0);
  });
});

describe('failed boxes', () => {
  it('are kept one hour by default as evidence, then destroyed with their VM', async () => {
    const w = world();
    const box = await w.standby();
    await w.store.transition(box.id, { from: 'standby', to: 'failed', patch: { error: 'broken' }, now: w.clock.now() });
    w.clock.advance(HOUR - 1);
    expect((await w.manager.reconcilePools(pools(0))).pools[0]?.applied?.destroyed).toEqual([]);
    expect(w.store.box(box.id).state).toBe('failed');
    expect(w.driver.vms.size).toBe(1);
    w.clock.advance(1);
    expect((await w.manager.reconcilePools(pools(0))).pools[0]?.applied?.destroyed).toEqual([box.id]);
    // the failure stays the evidence; why it went is recorded beside it
    expect(w.store.box(box.id)).toMatchObject({ state: 'destroyed', error: 'broken', releaseReason: expect.stringMatching(/^failed \d+ ms ago \(retention/) });
    expect(w.driver.vms.size).toBe(0);
  });
});

describe('--interval: the backoff unit', () => {
  it('N failures in a row wait N × the interval; 60 s when none is given', async () => {
    const w = world();
    const at = T0;
    await w.store.recordFailure(POOL, at);
    await w.store.recordFailure(POOL, at);
    const blocked = async (m: DefaultPoolManager) => (await m.status(pools(1)))[0]?.blocked;
    expect(await blocked(w.manager)).toBe(`backoff: 2 failures in a row; next create after ${new Date(at + 2 * MIN).toISOString()}`);
    const every5m = new DefaultPoolManager({ store: w.store, driver: w.driver, steps: [], now: w.clock.now, options: { backoffIntervalMs: 5 * MIN } });
    expect(await blocked(every5m)).toBe(`backoff: 2 failures in a row; next create after ${new Date(at + 10 * MIN).toISOString()}`);
  });

  it('the app pool manager takes it from the reconcile interval', async () => {
    const ctx = await appContext();
    const store = new MemoryBoxStore();
    const at = Date.now();
    await store.recordFailure(POOL, at);
    const cfg = config(`[[pools]]\nrepo_url = "${REPO}"\n`);
    const blockedWith = async (intervalMs?: number) => (await (await poolManager(ctx, cfg, store, { withSteps: false, ...(intervalMs ? { intervalMs } : {}) })).status(pools(1)))[0]?.blocked;
    expect(await blockedWith(7 * MIN)).toBe(`backoff: 1 failures in a row; next create after ${new Date(at + 7 * MIN).toISOString()}`);
    expect(await blockedWith()).toBe(`backoff: 1 failures in a row; next create after ${new Date(at + MIN).toISOString()}`);
  });
});
