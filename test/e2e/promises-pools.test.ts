// README promises of `cac pool` and `cac box` that no other test holds, through bin/cac on the real
// engine (plain SSH boxes, `provision = "vm"`: cheap): `pool reconcile --watch` repeats at --interval
// with one JSON line per round and ends on Ctrl-C with exit 130 and nothing left in flight; every field
// of a box document in `box list --json`; the lease from `[boxes] lease_ttl`; the human output of
// `box request`; `--interval` as the backoff unit.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { boxCli, poolToml, writeConfig, type BoxDoc } from '../helpers/box-cli.js';
import { newRunId, removeRun, runContainers } from '../helpers/box-run.js';
import { describeWith } from '../helpers/infra.js';
import { BIN } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-promises-pools');
const REPO = 'https://example.test/acme/promises.git';
const cli = boxCli(RUN, { CAC_BOX_INNER_DOCKER: '0' });
const { json } = cli;
const config = (minStandby: number, maxInstances: number) =>
  writeConfig(cli.configFile, `[boxes]\nprovision = "vm"\nlease_ttl = "90m"\nprovision_timeout = "3m"\n\n${poolToml(REPO, minStandby, maxInstances)}`);

interface Round {
  outcome: string;
  pools: Array<{ poolKey: string; plan: { creates: number }; applied?: { created: string[]; provisioned: Array<{ id: string; outcome: string }> } }>;
}

const watchers = new Set<ResultPromise>();

/** `cac pool reconcile --watch --json …` in the background; its stdout lines as they come. */
function watch(args: string[]): { child: ResultPromise; lines: string[]; waitFor: (n: number, deadlineMs: number) => Promise<void> } {
  const child = execa(process.execPath, [BIN, 'pool', 'reconcile', '--watch', '--json', ...args], { env: { ...cli.env, NO_COLOR: '1' }, reject: false, buffer: true });
  watchers.add(child);
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const waitFor = async (n: number, deadlineMs: number) => {
    const until = Date.now() + deadlineMs;
    while (lines.length < n && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(lines.length, `rounds seen before the deadline:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(n);
  };
  return { child, lines, waitFor };
}

const inFlight = async () => (await cli.boxes()).filter((b) => b.state === 'requested' || b.state === 'provisioning');

describeWith(['docker'], 'README promises: pool reconcile --watch, box documents, box request output', () => {
  afterAll(async () => {
    // a failed test may leave its watcher running: stop it before removing its boxes
    for (const w of watchers) if (w.exitCode === null) w.kill('SIGKILL');
    await Promise.all([...watchers].map((w) => w.catch(() => undefined)));
    removeRun(RUN);
  });

  it('--watch: a round every --interval, each one JSON line; Ctrl-C between rounds exits 130', async () => {
    config(1, 2);
    const w = watch(['--interval', '1s']);
    // three rounds at a 1 s interval come well within the deadline; at the 60 s default they could not
    await w.waitFor(3, 45_000);
    w.child.kill('SIGINT');
    const r = await w.child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    const rounds = w.lines.map((l) => JSON.parse(l) as Round);
    expect(rounds.map((x) => x.outcome)).toEqual(rounds.map(() => 'success'));
    expect(rounds[0]?.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['standby']);
    for (const later of rounds.slice(1)) expect(later.pools[0]?.plan.creates).toBe(0);
    expect(await inFlight()).toEqual([]);
    expect((await cli.boxes()).filter((b) => b.state === 'standby')).toHaveLength(1);
  });

  it('--watch: Ctrl-C in the middle of a round exits 130 and leaves no box in flight and no VM without a live box', async () => {
    config(2, 2);
    const before = runContainers(RUN).length;
    const w = watch(['--interval', '30s']);
    // the round is under way once the new box's VM exists (its SSH is not up yet)
    const until = Date.now() + 120_000;
    while (runContainers(RUN).length <= before && Date.now() < until && w.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(runContainers(RUN).length).toBeGreaterThan(before);
    w.child.kill('SIGINT');
    const r = await w.child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(await inFlight()).toEqual([]);
    // the interrupted box either finished (standby) or was taken down with its VM
    const live = new Set((await cli.boxes()).filter((b) => b.state === 'standby').map((b) => b.id));
    for (const c of runContainers(RUN)) expect(live.has(c.boxId), `container of ${c.boxId}`).toBe(true);
    // and the next round fills the pool as usual
    const next = await json<Round>(['pool', 'reconcile']);
    expect(next.outcome).toBe('success');
    expect((await cli.boxes()).filter((b) => b.state === 'standby')).toHaveLength(2);
  });

  it('box request: the box id alone on stdout, a summary on stderr; box list --json: every field of the box document', async () => {
    const r = await cli.cac(['box', 'request', '--repo', REPO, '--for', 'ticket-9']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^box_[0-9a-z]{12}\n$/);
    const id = r.stdout.trim();
    expect(r.stderr).toMatch(new RegExp(`^warm box ${id} claimed for ticket-9 · ssh -p \\d+ cac@127\\.0\\.0\\.1$`, 'm'));

    const { boxes } = await json<{ outcome: string; boxes: Array<BoxDoc & Record<string, unknown>> }>(['box', 'list']);
    const box = boxes.find((b) => b.id === id);
    expect(box).toBeDefined();
    expect(Object.keys(box ?? {}).sort()).toEqual(
      [
        'id',
        'poolKey',
        'repoUrl',
        'baseBranch',
        'branch',
        'state',
        'claimant',
        'warm',
        'fence',
        'leaseExpiresAt',
        'idempotencyKey',
        'vmRef',
        'sshTarget',
        'steps',
        'workspace',
        'error',
        'createdAt',
        'updatedAt',
        'claimedAt',
        'readyAt',
        'deadlineAt',
        'releaseReason',
        'leaseRemainingMs',
        'vmLocation',
        'activity',
        'commit',
        'configHash',
        'head',
        'freshness',
      ].sort(),
    );
    const at = box as unknown as Record<'createdAt' | 'claimedAt' | 'readyAt' | 'updatedAt' | 'leaseExpiresAt' | 'deadlineAt', number>;
    expect(box).toMatchObject({
      poolKey: `${REPO}#main`,
      repoUrl: REPO,
      baseBranch: 'main',
      branch: 'main',
      state: 'ready',
      claimant: 'ticket-9',
      warm: true,
      fence: 1,
      idempotencyKey: expect.stringMatching(new RegExp(`^reconcile:[0-9a-f-]{36}:${REPO.replace(/\./g, '\\.')}#main:\\d+$`)),
      vmRef: expect.stringMatching(/^[0-9a-f]{12,64}$/),
      sshTarget: { host: '127.0.0.1', port: expect.any(Number), user: 'cac', hostKey: expect.stringMatching(/^ssh-ed25519 /) },
      workspace: null,
      error: null,
      releaseReason: null,
      vmLocation: { driver: 'docker', engine: expect.stringMatching(/\S/) },
      activity: null,
    });
    expect(box?.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', true],
    ]);
    for (const s of box?.steps ?? []) expect(s).toEqual({ name: s.name, startedAt: expect.any(Number), durationMs: expect.any(Number), ok: true });
    // times in ms since the epoch, in order; the lease is lease_ttl (90m) from the claim
    expect(at.createdAt).toBeLessThanOrEqual(at.claimedAt);
    expect(at.claimedAt).toBeLessThanOrEqual(at.readyAt);
    expect(at.readyAt).toBeLessThanOrEqual(at.updatedAt);
    expect(at.leaseExpiresAt - at.claimedAt).toBe(90 * 60_000);
    const left = (box as unknown as { leaseRemainingMs: number }).leaseRemainingMs;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(90 * 60_000);
    expect(at.deadlineAt - at.createdAt).toBe(3 * 60_000);
    expect(runContainers(RUN).find((c) => c.id.startsWith(box?.vmRef ?? '-'))?.boxId).toBe(id);

    // box list without --all leaves destroyed boxes out; with it they are there
    await json(['box', 'release', id]);
    expect((await json<{ boxes: BoxDoc[] }>(['box', 'list'])).boxes.map((b) => b.id)).not.toContain(id);
    expect((await cli.boxes()).find((b) => b.id === id)?.state).toBe('destroyed');
  });
});

describe('--interval sets the backoff unit; pool pause and resume (a command plugin whose create always fails; no engine needed)', () => {
  const failing = boxCli(newRunId('e2e-backoff'));
  const plugins = join(failing.home, 'plugins');

  it('after a failed create the next one waits 1 × the interval: 5m, then 7m', async () => {
    mkdirSync(plugins, { recursive: true });
    const script = (name: string, body: string) => {
      const file = join(plugins, name);
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
      return file;
    };
    const create = script('create', 'cat >/dev/null; echo "no capacity in this cloud" >&2; exit 1');
    const list = script('list', 'cat >/dev/null; echo "[]"');
    const other = script('other', 'cat >/dev/null; echo \'{"vmRef":"x","state":"gone"}\'');
    writeConfig(
      failing.configFile,
      `[boxes]\ndriver = "command"\nprovision = "vm"\n[boxes.command]\ncreate = "${create}"\ndestroy = "${other}"\nlist = "${list}"\nstatus = "${other}"\n\n${poolToml(REPO, 1, 1)}`,
    );

    const first = await failing.cac(['pool', 'reconcile', '--json', '--interval', '5m']);
    expect(first.exitCode, first.stderr).toBe(3);
    const [failed] = (JSON.parse(first.stdout) as Round).pools[0]?.applied?.provisioned ?? [];
    expect(failed?.outcome).toBe('failed');
    const status = await failing.json<{ pools: Array<{ lastFailureAt: number; consecutiveFailures: number }> }>(['pool', 'status']);
    const { lastFailureAt, consecutiveFailures } = status.pools[0] ?? { lastFailureAt: 0, consecutiveFailures: 0 };
    expect(consecutiveFailures).toBe(1);
    for (const [interval, ms] of [
      ['5m', 5 * 60_000],
      ['7m', 7 * 60_000],
    ] as const) {
      const plan = await failing.json<{ pools: Array<{ plan: { creates: number; blocked?: string } }> }>(['pool', 'reconcile', '--dry-run', '--interval', interval]);
      expect(plan.pools[0]?.plan).toMatchObject({ creates: 0, blocked: `backoff: 1 failures in a row; next create after ${new Date(lastFailureAt + ms).toISOString()}` });
    }
  });

  it('pool pause stops creates (status says paused); pool resume creates again and clears the failure count', async () => {
    const paused = await failing.json<{ outcome: string; poolKey: string; paused: boolean }>(['pool', 'pause', REPO]);
    expect(paused).toEqual({ outcome: 'success', poolKey: `${REPO}#main`, repoUrl: REPO, baseBranch: 'main', paused: true });
    const row = async () => (await failing.json<{ pools: Array<{ paused: boolean; blocked: string | null; consecutiveFailures: number }> }>(['pool', 'status'])).pools[0];
    expect(await row()).toMatchObject({ paused: true, blocked: 'paused: resume the pool to create boxes again', consecutiveFailures: 1 });
    const plan = await failing.json<{ pools: Array<{ plan: { creates: number; blocked?: string } }> }>(['pool', 'reconcile', '--dry-run']);
    expect(plan.pools[0]?.plan).toMatchObject({ creates: 0, blocked: 'paused: resume the pool to create boxes again' });

    const resumed = await failing.cac(['pool', 'resume', REPO]);
    expect(resumed).toMatchObject({ exitCode: 0, stdout: `resumed ${REPO}#main\n` });
    expect(await row()).toMatchObject({ paused: false, blocked: null, consecutiveFailures: 0 });
    const again = await failing.json<{ pools: Array<{ plan: { creates: number; blocked?: string } }> }>(['pool', 'reconcile', '--dry-run', '--interval', '1h']);
    expect(again.pools[0]?.plan.creates).toBe(1);
    expect(again.pools[0]?.plan.blocked).toBeUndefined();
  });
});
