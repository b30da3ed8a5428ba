import { describe, expect, it } from 'vitest';
import { boxSteps, type SshLogin } from '../../../src/core/provision/vm-steps.js';
import { provisionBox, runSteps, type ProvisionDeps, type ProvisionStep } from '../../../src/core/provision/pipeline.js';
import type { Box } from '../../../src/domain/box.js';
import type { VmSpec } from '../../../src/ports/vm-driver.js';
import { CacError } from '../../../src/errors.js';
import { silentReporter } from '../../../src/ports/reporter.js';
import { FakeVmDriver, manualClock, MemoryBoxStore } from '../../fakes/boxes.js';
import { REPO, T0 } from '../../fakes/box.js';

function harness(opts: { login?: SshLogin; extra?: ProvisionStep[] } = {}) {
  const clock = manualClock(T0);
  const store = new MemoryBoxStore(clock.now);
  const driver = new FakeVmDriver(clock.now);
  const logins: string[] = [];
  const login: SshLogin = opts.login ?? (async (t) => void logins.push(`${t.user}@${t.host}:${t.port} ${t.hostKey}`));
  const steps = [...boxSteps({ driver, sshPublicKey: 'ssh-ed25519 PUB cac', labels: { 'cac.test-run': 't1' }, login }), ...(opts.extra ?? [])];
  const deps: ProvisionDeps = { store, driver, steps, now: clock.now, reporter: silentReporter };
  const poolBox = () => store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 60_000, now: T0 }, { idempotencyKey: `k${Math.random()}` });
  const coldBox = () =>
    store.createBox({ repoUrl: REPO, baseBranch: 'main', branch: 'fix-1', claimant: 'bob', leaseExpiresAt: T0 + 3_600_000, deadlineAt: T0 + 60_000, now: T0 }, { idempotencyKey: `c${Math.random()}` });
  return { clock, store, driver, deps, logins, poolBox, coldBox };
}

/** A step that moves the clock, so durations are exact. */
const timed = (name: string, ms: number, clock: { advance: (ms: number) => void }): ProvisionStep => ({ name, run: async () => void clock.advance(ms) });

describe('provisionBox', () => {
  it('runs vm_create then ssh_ready, records each with its duration, and makes a pool box standby', async () => {
    const h = harness();
    const extra = timed('repo', 250, h.clock);
    h.deps.steps = [...h.deps.steps, extra];
    const box = await h.poolBox();
    const r = await provisionBox(h.deps, box.id);
    expect(r.outcome).toBe('standby');
    const done = h.store.box(box.id);
    expect(done).toMatchObject({ state: 'standby', vmRef: 'vm-1', sshTarget: { host: '127.0.0.1', port: 2201, user: 'cac', hostKey: 'ssh-ed25519 KEY-vm-1' }, error: null, readyAt: null });
    expect(done.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', true],
      ['repo', true],
    ]);
    expect(done.steps[2]?.durationMs).toBe(250);
    expect(h.logins).toEqual(['cac@127.0.0.1:2201 ssh-ed25519 KEY-vm-1']);
    const vm = h.driver.vms.get('vm-1');
    expect(vm?.spec).toMatchObject({ boxId: box.id, poolKey: box.poolKey, sshPublicKey: 'ssh-ed25519 PUB cac', labels: { 'cac.test-run': 't1', key: box.idempotencyKey } });
    expect(await h.store.poolStats(box.poolKey)).toMatchObject({ provisionCount: 1, claimCount: 0 });
  });

  it("vm_create gives the VM the engine volumes it should see read-only (the agent CLIs'); none: the spec has no such field", async () => {
    const h = harness();
    const specs: VmSpec[] = [];
    h.driver.beforeCreate = async (spec) => void specs.push(spec);
    const volumes = [{ volume: 'cac-agent-codex-0.171.0-x86_64-gnu', target: '/opt/cac-agents/codex-0.171.0-x86_64-gnu' }];
    const login: SshLogin = async () => undefined;
    const withVolumes = boxSteps({ driver: h.driver, sshPublicKey: 'ssh-ed25519 PUB cac', login, readOnlyVolumes: async () => volumes });
    expect((await provisionBox({ ...h.deps, steps: withVolumes }, (await h.poolBox()).id)).outcome).toBe('standby');
    expect((await provisionBox(h.deps, (await h.poolBox()).id)).outcome).toBe('standby');
    expect(specs.map((s) => s.readOnlyVolumes)).toEqual([volumes, undefined]);
  });

  it('makes a cold box ready for its claimant and counts a cold claim', async () => {
    const h = harness();
    const box = await h.coldBox();
    h.clock.advance(1500);
    const r = await provisionBox(h.deps, box.id);
    expect(r.outcome).toBe('ready');
    expect(h.store.box(box.id)).toMatchObject({ state: 'ready', claimant: 'bob', warm: false, fence: 1, readyAt: T0 + 1500 });
    expect(await h.store.poolStats(box.poolKey)).toMatchObject({ coldClaims: 1, claimLatencyMsTotal: 1500, provisionLatencyMsTotal: 1500 });
  });

  it('fails the box on a failed step (host key mismatch), keeps the steps so far, and counts a pool failure', async () => {
    const h = harness({ login: async () => Promise.reject(new CacError('ERR_HOST_KEY_MISMATCH', 'the host key of 127.0.0.1:2201 is not the pinned one')) });
    await h.store.recordFailure('other', T0);
    const box = await h.poolBox();
    const r = await provisionBox(h.deps, box.id);
    expect(r).toMatchObject({ outcome: 'failed', error: 'ssh_ready: the host key of 127.0.0.1:2201 is not the pinned one' });
    const failed = h.store.box(box.id);
    expect(failed.state).toBe('failed');
    expect(failed.steps.map((s) => [s.name, s.ok, s.error])).toEqual([
      ['vm_create', true, undefined],
      ['ssh_ready', false, 'the host key of 127.0.0.1:2201 is not the pinned one'],
    ]);
    expect(failed.vmRef).toBe('vm-1'); // kept as evidence; reconcile destroys it after retention
    expect((await h.store.getPoolHealth(box.poolKey)).consecutiveFailures).toBe(1);
  });

  it('resets the pool failure count after a success', async () => {
    const h = harness();
    const box = await h.poolBox();
    await h.store.recordFailure(box.poolKey, T0);
    await provisionBox(h.deps, box.id);
    expect((await h.store.getPoolHealth(box.poolKey)).consecutiveFailures).toBe(0);
  });

  it('resumes a box left in provisioning: steps run again (VM found, not made twice) and replace the old records', async () => {
    const h = harness();
    const box = await h.poolBox();
    const normal = h.deps.steps;
    // the first run dies after ssh_ready (an interrupt: the box stays in flight)
    h.deps.steps = [...normal, { name: 'repo', run: () => Promise.reject(new DOMException('interrupted', 'AbortError')) }];
    await expect(provisionBox(h.deps, box.id)).rejects.toThrow('interrupted');
    expect(h.store.box(box.id)).toMatchObject({ state: 'provisioning', vmRef: 'vm-1' });
    const firstRun = h.store.box(box.id).steps;
    h.clock.advance(10);
    h.deps.steps = normal;
    expect((await provisionBox(h.deps, box.id)).outcome).toBe('standby');
    expect(h.driver.vms.size).toBe(1);
    const steps = h.store.box(box.id).steps;
    expect(steps.map((s) => s.name)).toEqual(['vm_create', 'ssh_ready']);
    expect(steps[0]?.startedAt).toBe((firstRun[0]?.startedAt ?? 0) + 10);
  });

  it('stops when the box is released mid-run, and removes the VM it made that the releaser could not see', async () => {
    const h = harness();
    const box = await h.coldBox();
    h.driver.beforeCreate = async () => {
      const current = h.store.box(box.id);
      await h.store.transition(box.id, { from: current.state, to: 'releasing', now: T0 });
      await h.store.transition(box.id, { from: 'releasing', to: 'destroyed', now: T0 });
    };
    const r = await provisionBox(h.deps, box.id);
    expect(r.outcome).toBe('lost');
    expect(h.store.box(box.id).state).toBe('destroyed');
    expect(h.driver.vms.size).toBe(0);
  });

  it('a provisioner holding a stale fence cannot finish the box (fencing)', async () => {
    const h = harness();
    const box = await h.poolBox();
    h.deps.steps = [
      {
        name: 'slow',
        run: async () => {
          // meanwhile reconcile failed the box at its deadline
          await h.store.transition(box.id, { from: 'provisioning', to: 'failed', patch: { error: 'deadline' }, now: T0 });
        },
      },
    ];
    expect((await provisionBox(h.deps, box.id)).outcome).toBe('lost');
    expect(h.store.box(box.id)).toMatchObject({ state: 'failed', error: 'deadline' });
  });

  it('a resume takes the box over: it bumps the fence, so the worker that left it in flight loses its next write', async () => {
    const h = harness();
    const created = await h.poolBox();
    const abandoned = (await h.store.transition(created.id, { from: 'requested', to: 'provisioning', now: T0 })) as Box;
    let entered: () => void = () => {};
    const inStep = new Promise<void>((r) => (entered = r));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    h.deps.steps = [{ name: 'vm', run: async () => (entered(), await gate, { vmRef: 'vm-resumed' }) }];
    const resumed = provisionBox(h.deps, abandoned.id);
    await inStep;
    // the old worker (still at fence 0) finishes a step while the resume runs
    const old = await runSteps(h.deps, { box: abandoned, signal: new AbortController().signal }, [{ name: 'vm', run: async () => ({ vmRef: 'vm-stale' }) }], 'provisioning');
    expect(old).toEqual({ lost: true });
    release();
    expect(await resumed).toMatchObject({ outcome: 'standby', box: { fence: abandoned.fence + 1, vmRef: 'vm-resumed' } });
  });

  it('fails the box at its deadline', async () => {
    const h = harness();
    const box = await h.store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 30, now: T0 }, { idempotencyKey: 'short' });
    h.deps.steps = [{ name: 'hang', run: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new CacError('ERR_INTERRUPTED', 'interrupted')))) }];
    const r = await provisionBox(h.deps, box.id);
    expect(r).toMatchObject({ outcome: 'failed', error: 'hang: past its provisioning deadline' });
  });

  it('a deadline further away than a timer keeps (a long wait plus provision_timeout) does not fire at once', async () => {
    const h = harness();
    const box = await h.store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: T0 + 40 * 86_400_000, now: T0 }, { idempotencyKey: 'long' });
    // a real 20 ms wait: an overflowed deadline timer (Node makes it 1 ms) would abort the step first
    h.deps.steps = [{ name: 'work', run: async (ctx) => void (await new Promise((r) => setTimeout(r, 20)), ctx.signal.throwIfAborted()) }];
    const r = await provisionBox(h.deps, box.id);
    expect(r).toMatchObject({ outcome: 'standby' });
  });

  it('does nothing for a box that is not in flight', async () => {
    const h = harness();
    const box = await h.poolBox();
    await provisionBox(h.deps, box.id);
    const again = await provisionBox(h.deps, box.id);
    expect(again).toMatchObject({ outcome: 'lost', box: { state: 'standby' } });
    expect((await provisionBox(h.deps, 'box_missing00000')).outcome).toBe('lost');
  });
});
