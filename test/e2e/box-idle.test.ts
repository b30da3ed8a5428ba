// Idle release through bin/cac on the real dockerd with a real box (inner engine, sshd, the dev container
// of cac-test/base:bookworm) and `[boxes] idle_timeout = "2s"`: the signal is measured on the box by
// reconcile's probe. A claimed box whose dev container runs a busy loop survives a reconcile past the
// timeout (cpu), then one with an open `cac box ssh` session (its loop stopped) survives too; once the
// session is closed, the next reconcile past the timeout releases it and records why. No timing is
// asserted: the test waits for the clock to pass a recorded time, or for a state on the box, then checks.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { makeBoxRepo } from '../helpers/box-repo.js';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith, engineEnv } from '../helpers/infra.js';
import { BIN, runBin, tempHome } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-idle');
const { env: homeEnv } = tempHome();
const env = { ...engineEnv(), ...homeEnv, CAC_TEST_RUN_LABEL: RUN };
const repo = mkdtempSync(join(tmpdir(), 'cac-e2e-idle-'));
const REPO = `file://${repo}`;
const configFile = join(homeEnv.XDG_CONFIG_HOME, 'cac', 'config.toml');
const config = (minStandby: number) =>
  `[boxes]\npreload_images = ["cac-test/base:bookworm"]\nidle_timeout = "2s"\n\n[[pools]]\nrepo_url = "${REPO}"\nbase_branch = "main"\nmin_standby = ${minStandby}\nmax_instances = 2\n`;

interface Activity {
  checkedAt: number;
  lastActiveAt: number;
  cpuUsec: number | null;
  activeBy: string;
}
interface BoxDoc {
  id: string;
  state: string;
  vmRef: string;
  releaseReason: string | null;
  activity: Activity | null;
}
type Reconciled = { outcome: string; warnings: string[]; pools: Array<{ applied: { released: string[]; idle: Array<{ id: string; reason: string }> } }> };

const cac = (args: string[]) => runBin(args, { env });
async function json<T>(args: string[], exit = 0): Promise<T> {
  const r = await cac([...args, '--json']);
  expect(r.exitCode, `cac ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(exit);
  return JSON.parse(r.stdout) as T;
}
const show = async (id: string) => (await json<{ box: BoxDoc }>(['box', 'show', id])).box;
const reconcile = () => json<Reconciled>(['pool', 'reconcile']);

/** Waits until the wall clock is past `at` (a time cac recorded). */
async function until(at: number): Promise<void> {
  while (Date.now() <= at) await sleep(Math.min(1_000, at - Date.now() + 10));
}

/** The sshd session processes of the box user, seen from outside SSH (docker exec into the box). */
const sshSessions = (box: BoxDoc) => {
  try {
    return execFileSync('docker', ['exec', box.vmRef, 'pgrep', '-u', 'cac', '-x', 'sshd'], { env: engineEnv(), encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0; // pgrep exits 1 when there is none
  }
};

/** Reconciles once the idle clock of the box has run past the timeout since what the last round recorded. */
async function reconcilePastTimeout(id: string): Promise<{ round: Reconciled; before: Activity }> {
  const before = (await show(id)).activity;
  if (!before) throw new Error(`box ${id} has no activity record yet`);
  await until(Math.max(before.checkedAt, before.lastActiveAt) + 2_000);
  return { round: await reconcile(), before };
}

describeWith(['docker'], 'idle release: [boxes] idle_timeout measured on a real box (bin/cac)', () => {
  let box: BoxDoc;

  makeBoxRepo(repo);
  mkdirSync(join(homeEnv.XDG_CONFIG_HOME, 'cac'), { recursive: true });
  writeFileSync(configFile, config(1));
  afterAll(() => {
    removeRun(RUN);
    rmSync(repo, { recursive: true, force: true });
  });

  it('a claimed box whose dev container is busy on CPU survives a reconcile past the timeout', async () => {
    const filled = await reconcile();
    expect(filled.outcome, JSON.stringify(filled)).toBe('success');
    const grant = await json<{ box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'alice']);
    expect(grant.box.state).toBe('ready');
    // no new standby box: the rounds below only measure
    writeFileSync(configFile, config(0));
    const started = await cac(['box', 'exec', grant.box.id, '--', 'sh', '-c', 'nohup sh -c "while [ ! -e /tmp/stop-busy ]; do :; done" >/dev/null 2>&1 &']);
    expect(started.exitCode, started.stderr).toBe(0);
    const first = await reconcile();
    expect(first.outcome, JSON.stringify(first.warnings)).toBe('success');
    expect((await show(grant.box.id)).activity).toMatchObject({ activeBy: 'first probe', cpuUsec: expect.any(Number) });
    const { round, before } = await reconcilePastTimeout(grant.box.id);
    expect(round.pools[0]?.applied).toMatchObject({ released: [], idle: [] });
    box = await show(grant.box.id);
    expect(box.state).toBe('ready');
    expect(box.activity?.activeBy).toMatch(/^cpu \d+(\.\d)?%$/);
    expect(box.activity?.lastActiveAt).toBeGreaterThan(before.lastActiveAt);
  });

  it('with the busy loop stopped, an open SSH session keeps the box past the timeout', async () => {
    const ssh = execa(process.execPath, [BIN, 'box', 'ssh', box.id, '--', 'sleep', '600'], { env, reject: false, detached: true, stdin: 'ignore' });
    try {
      while (sshSessions(box) === 0) await sleep(200);
      expect((await cac(['box', 'exec', box.id, '--', 'touch', '/tmp/stop-busy'])).exitCode).toBe(0);
      // the round that sees the loop's last CPU use, then one past the timeout that sees only the session
      await reconcile();
      const { round } = await reconcilePastTimeout(box.id);
      expect(round.pools[0]?.applied.released).toEqual([]);
      box = await show(box.id);
      expect(box).toMatchObject({ state: 'ready', activity: { activeBy: '1 ssh session(s)' } });
    } finally {
      if (ssh.pid) process.kill(-ssh.pid, 'SIGTERM');
      await ssh;
    }
  });

  it('with no session, no exec and no CPU use past the timeout, reconcile releases the box and records why', async () => {
    while (sshSessions(box) > 0) await sleep(200);
    const { round } = await reconcilePastTimeout(box.id);
    const reason = expect.stringMatching(/^idle for \d+s \(no SSH session, no box exec, no CPU use; idle_timeout 2s\)$/);
    expect(round.pools[0]?.applied).toMatchObject({ released: [box.id], idle: [{ id: box.id, reason }] });
    expect(await show(box.id)).toMatchObject({ state: 'destroyed', releaseReason: reason });
    expect(runContainers(RUN).map((c) => c.boxId)).not.toContain(box.id);
  });
});
