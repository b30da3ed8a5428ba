// `[boxes] idle_timeout`: the pure verdict (what counts as use, what counts as idle, the first probe with
// no CPU baseline, a failed probe), the probe's output parsed, the exec marker, and a reconcile that
// releases an idle held box through the pool plan while a busy one, one whose probe fails and one with
// an SSH session stay. Driven by a manual clock, never by waiting.
import { describe, expect, it } from 'vitest';
import { markExecArgv, parseActivity, type ActivityProbe, type ActivityReading } from '../../../src/core/boxes/activity-probe.js';
import { CPU_BUSY_SHARE, judgeIdle } from '../../../src/core/boxes/plan-idle.js';
import { planPool } from '../../../src/core/boxes/plan-pool.js';
import { DefaultPoolManager } from '../../../src/core/boxes/reconciler.js';
import type { Box, BoxActivity } from '../../../src/domain/box.js';
import { CacError } from '../../../src/errors.js';
import { makeBox, REPO, T0 } from '../../fakes/box.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';

const MIN = 60_000;
const TIMEOUT = 30 * MIN;
const quiet: ActivityReading = { sshSessions: 0, execAgoMs: null, cpuUsec: 5_000_000 };
const seen = (activity: Partial<BoxActivity> = {}): Pick<Box, 'activity'> => ({
  activity: { checkedAt: T0, lastActiveAt: T0, cpuUsec: 5_000_000, activeBy: 'first probe', ...activity },
});

describe('judgeIdle: what is in use, what is idle', () => {
  it('the first probe only sets the CPU baseline and starts the idle clock, however quiet the box', () => {
    const v = judgeIdle({ activity: null }, { reading: quiet }, T0 + 5 * TIMEOUT, TIMEOUT);
    expect(v).toEqual({ idle: false, activity: { checkedAt: T0 + 5 * TIMEOUT, lastActiveAt: T0 + 5 * TIMEOUT, cpuUsec: 5_000_000, activeBy: 'first probe' } });
  });

  it('quiet since the last use, for less than the timeout: kept, the idle clock still running from the last use', () => {
    const v = judgeIdle(seen(), { reading: quiet }, T0 + TIMEOUT - 1, TIMEOUT);
    expect(v).toEqual({ idle: false, activity: { checkedAt: T0 + TIMEOUT - 1, lastActiveAt: T0, cpuUsec: 5_000_000, activeBy: 'first probe' } });
  });

  it('quiet for the timeout: idle, with the reason recorded on the released box', () => {
    const v = judgeIdle(seen(), { reading: { ...quiet, cpuUsec: 5_000_000 + 1_000 } }, T0 + TIMEOUT, TIMEOUT);
    expect(v).toMatchObject({ idle: true, reason: 'idle for 30m (no SSH session, no box exec, no CPU use; idle_timeout 30m)', activity: { lastActiveAt: T0 } });
  });

  it('the dev container busy on CPU since the last probe is use; below the busy share it is not', () => {
    const span = TIMEOUT;
    const busyUsec = Math.ceil(span * 1000 * CPU_BUSY_SHARE);
    const busy = judgeIdle(seen(), { reading: { ...quiet, cpuUsec: 5_000_000 + busyUsec } }, T0 + span, TIMEOUT);
    expect(busy).toMatchObject({ idle: false, activity: { lastActiveAt: T0 + span, activeBy: 'cpu 2%', cpuUsec: 5_000_000 + busyUsec } });
    const keepAlive = judgeIdle(seen(), { reading: { ...quiet, cpuUsec: 5_000_000 + busyUsec - 1_000 } }, T0 + span, TIMEOUT);
    expect(keepAlive.idle).toBe(true);
  });

  it('an SSH session (other than the probe) is use', () => {
    expect(judgeIdle(seen(), { reading: { ...quiet, sshSessions: 2 } }, T0 + TIMEOUT, TIMEOUT)).toMatchObject({
      idle: false,
      activity: { lastActiveAt: T0 + TIMEOUT, activeBy: '2 ssh session(s)' },
    });
  });

  it('a `cac box exec` since the last use moves the idle clock to the time of the exec', () => {
    const v = judgeIdle(seen(), { reading: { ...quiet, execAgoMs: 10 * MIN } }, T0 + TIMEOUT, TIMEOUT);
    expect(v).toMatchObject({ idle: false, activity: { lastActiveAt: T0 + TIMEOUT - 10 * MIN, activeBy: 'box exec' } });
    // an exec older than the last use changes nothing
    expect(judgeIdle(seen({ lastActiveAt: T0 + 5 * MIN }), { reading: { ...quiet, execAgoMs: TIMEOUT } }, T0 + TIMEOUT, TIMEOUT).activity.lastActiveAt).toBe(T0 + 5 * MIN);
  });

  it('a failed probe counts as use and drops the CPU baseline; the next probe sets a new one (never a release)', () => {
    const failed = judgeIdle(seen(), { error: 'connect ETIMEDOUT' }, T0 + 2 * TIMEOUT, TIMEOUT);
    expect(failed).toEqual({ idle: false, activity: { checkedAt: T0 + 2 * TIMEOUT, lastActiveAt: T0 + 2 * TIMEOUT, cpuUsec: null, activeBy: 'probe failed' } });
    const next = judgeIdle({ activity: failed.activity }, { reading: quiet }, T0 + 4 * TIMEOUT, TIMEOUT);
    expect(next).toMatchObject({ idle: false, activity: { lastActiveAt: T0 + 4 * TIMEOUT, activeBy: 'cpu (new baseline)', cpuUsec: 5_000_000 } });
  });

  it('a CPU counter that went back (the container restarted) is a new baseline, not a verdict', () => {
    expect(judgeIdle(seen(), { reading: { ...quiet, cpuUsec: 10 } }, T0 + TIMEOUT, TIMEOUT)).toMatchObject({ idle: false, activity: { activeBy: 'cpu (new baseline)', cpuUsec: 10 } });
  });

  it('a box with no running dev container is judged by sessions and execs alone, and says so', () => {
    const v = judgeIdle(seen({ cpuUsec: null }), { reading: { ...quiet, cpuUsec: null } }, T0 + TIMEOUT, TIMEOUT);
    expect(v).toMatchObject({ idle: true, reason: 'idle for 30m (no SSH session, no box exec; CPU not measured: no running dev container; idle_timeout 30m)' });
  });
});

describe('the probe on the box', () => {
  const out = (stdout: string, exitCode = 0, stderr = '') => ({ exitCode, stdout, stderr });

  it('parses what the probe printed; ages by the box clock', () => {
    expect(parseActivity(out('now 1000\nsessions 1\nexec 940\ncpu 123456\n'))).toEqual({ sshSessions: 1, execAgoMs: 60_000, cpuUsec: 123456 });
    expect(parseActivity(out('now 1000\nsessions 0\nexec -\ncpu -\n'))).toEqual({ sshSessions: 0, execAgoMs: null, cpuUsec: null });
    // a marker from the box's future (clock set back) is "just now"
    expect(parseActivity(out('now 1000\nsessions 0\nexec 1005\ncpu 1\n')).execAgoMs).toBe(0);
  });

  it('a failed probe, an unreadable CPU counter or garbage is ERR_BOX_PROBE (the box then counts as in use)', () => {
    const err = (o: ReturnType<typeof out>) => {
      try {
        parseActivity(o);
      } catch (e) {
        return e instanceof CacError ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(err(out('', 3, 'Error: No such object: c0ffee\n'))).toBe('ERR_BOX_PROBE: the activity probe exited 3: Error: No such object: c0ffee');
    expect(err(out('now 1000\nsessions 0\nexec -\ncpu ?\n'))).toMatch(/^ERR_BOX_PROBE: cannot read the dev container's CPU use on the box/);
    expect(err(out('now 1000\nsessions many\nexec -\ncpu 1\n'))).toBe('ERR_BOX_PROBE: the activity probe reported sessions "many"');
    expect(err(out('now 1000\nsessions 0\n'))).toBe('ERR_BOX_PROBE: the activity probe did not report exec');
  });

  it('`cac box exec` touches the box marker, then runs the command as given', () => {
    expect(markExecArgv('box_abc', ['docker', 'exec', 'c', 'sh', '-c', 'echo "$HOME"'])).toEqual([
      'sh',
      '-c',
      'touch -- "$HOME/cac/$1/last-exec" 2>/dev/null; shift; exec "$@"',
      'sh',
      'box_abc',
      'docker',
      'exec',
      'c',
      'sh',
      '-c',
      'echo "$HOME"',
    ]);
  });
});

describe('box show', () => {
  it('says when the box was last in use and why; nothing before reconcile measured it', async () => {
    const { renderBox } = await import('../../../src/cli/handlers/box-render.js');
    const measured = makeBox({ state: 'ready', activity: { checkedAt: T0 + 2 * MIN, lastActiveAt: T0, cpuUsec: 1, activeBy: 'cpu 37.5%' } });
    expect(renderBox(measured, T0 + 3 * MIN)).toContain(`in use     ${new Date(T0).toISOString()} (cpu 37.5%; checked 1m ago)`);
    expect(renderBox(makeBox({ state: 'ready' }), T0)).not.toContain('in use');
  });
});

describe('planPool with idle boxes', () => {
  it('an idle held box is released with its reason and no longer counts as live; an expired lease keeps its own reason', () => {
    const spec = { repoUrl: REPO, baseBranch: 'main', minStandby: 1, maxInstances: 2, provisionTimeoutMs: 15 * MIN, failedRetentionMs: 60 * MIN, backoffIntervalMs: MIN };
    const idle = makeBox({ state: 'ready', claimant: 'alice', leaseExpiresAt: T0 + 8 * 60 * MIN });
    const expired = makeBox({ state: 'ready', claimant: 'bob', leaseExpiresAt: T0 });
    const health = { consecutiveFailures: 0, lastFailureAt: null, paused: false };
    const without = planPool({ boxes: [idle, expired], health }, spec, T0 + MIN);
    expect([without.releases.map((r) => r.id), without.creates]).toEqual([[expired.id], 1]);
    const plan = planPool(
      {
        boxes: [idle, expired],
        health,
        idle: [
          { id: idle.id, reason: 'idle for 30m' },
          { id: expired.id, reason: 'idle too' },
        ],
      },
      spec,
      T0 + MIN,
    );
    expect(plan.releases).toEqual([
      { id: idle.id, reason: 'idle for 30m' },
      { id: expired.id, reason: expect.stringMatching(/^lease of bob expired at /) },
    ]);
    expect(plan.creates).toBe(1);
  });
});

describe('reconcile with [boxes] idle_timeout', () => {
  const POOL = [{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 5 }];
  const target = { host: '127.0.0.1', port: 2222, user: 'cac', hostKey: 'ssh-ed25519 AAAA' };

  async function harness(readings: Record<string, ActivityReading | Error>, idleTimeoutMs: number | null = TIMEOUT) {
    const clock = manualClock(T0);
    const store = new MemoryBoxStore(clock.now);
    const driver = new FakeVmDriver(clock.now);
    const probed: string[] = [];
    const probe: ActivityProbe = async (box) => {
      probed.push(box.id);
      const r = readings[box.branch];
      if (r instanceof Error) throw r;
      if (!r) throw new Error(`no reading for ${box.branch}`);
      return r;
    };
    const manager = new DefaultPoolManager({ store, driver, steps: [], now: clock.now, probeActivity: probe, options: idleTimeoutMs === null ? {} : { idleTimeoutMs } });
    const held = async (branch: string, lease = T0 + 8 * 60 * MIN): Promise<Box> => {
      let b = await store.createBox({ repoUrl: REPO, baseBranch: 'main', branch, claimant: 'alice', leaseExpiresAt: lease, deadlineAt: T0 + MIN, now: clock.now() }, { idempotencyKey: branch });
      const vm = await driver.create({ boxId: b.id, poolKey: b.poolKey, labels: {}, sshPublicKey: '' }, { idempotencyKey: b.idempotencyKey });
      b = (await store.transition(b.id, { from: 'requested', to: 'provisioning', now: clock.now() })) as Box;
      return (await store.transition(b.id, { from: 'provisioning', fence: b.fence, to: 'ready', patch: { vmRef: vm.vmRef, sshTarget: target }, now: clock.now() })) as Box;
    };
    return { clock, store, manager, probed, held };
  }

  it('releases the idle box (its reason recorded, listed as idle), keeps the busy one, the one in a session and the unmeasurable one', async () => {
    const readings: Record<string, ActivityReading | Error> = { idle: quiet, busy: quiet, session: quiet, broken: new Error('connect ECONNREFUSED') };
    const h = await harness(readings);
    const [idle, busy, session, broken] = [await h.held('idle'), await h.held('busy'), await h.held('session'), await h.held('broken')];
    const first = await h.manager.reconcilePools(POOL);
    expect([first.pools[0]?.applied?.idle, first.pools[0]?.applied?.released]).toEqual([[], []]);
    expect(h.store.box(idle.id)?.activity).toEqual({ checkedAt: T0, lastActiveAt: T0, cpuUsec: quiet.cpuUsec, activeBy: 'first probe' });
    expect(first.warnings).toEqual([`box ${broken.id}: cannot measure its use (connect ECONNREFUSED); it counts as in use`]);

    h.clock.advance(TIMEOUT);
    readings.busy = { ...quiet, cpuUsec: (quiet.cpuUsec ?? 0) + TIMEOUT * 1000 }; // a whole CPU since the last round
    readings.session = { ...quiet, sshSessions: 1 };
    const second = await h.manager.reconcilePools(POOL);
    const reason = 'idle for 30m (no SSH session, no box exec, no CPU use; idle_timeout 30m)';
    expect(second.pools[0]?.applied).toMatchObject({ idle: [{ id: idle.id, reason }], released: [idle.id] });
    expect(h.store.box(idle.id)).toMatchObject({ state: 'destroyed', releaseReason: reason });
    for (const kept of [busy, session, broken]) expect(h.store.box(kept.id)).toMatchObject({ state: 'ready', activity: { lastActiveAt: T0 + TIMEOUT } });
    expect(h.store.box(busy.id)?.activity?.activeBy).toBe('cpu 100%');
    expect(h.store.box(session.id)?.activity?.activeBy).toBe('1 ssh session(s)');
    expect(second.warnings).toHaveLength(1);
  });

  it('is off without idle_timeout, on a dry run, and for a box whose lease ran out (the lease releases it)', async () => {
    const h = await harness({ idle: quiet }, null);
    await h.held('idle');
    await h.manager.reconcilePools(POOL);
    h.clock.advance(2 * TIMEOUT);
    await h.manager.reconcilePools(POOL);
    expect(h.probed).toEqual([]);
    const on = await harness({ idle: quiet, leased: quiet });
    await on.held('idle');
    const leased = await on.held('leased', T0 + MIN);
    await on.manager.reconcilePools(POOL, { dryRun: true });
    expect(on.probed).toEqual([]);
    on.clock.advance(MIN);
    const r = await on.manager.reconcilePools(POOL);
    expect(on.probed).not.toContain(leased.id);
    expect(r.pools[0]?.applied).toMatchObject({ released: [leased.id], idle: [] });
    expect(on.store.box(leased.id)?.releaseReason).toMatch(/^lease of alice expired at /);
  });
});
