// The ssh-fleet driver through bin/cac: a fleet of 3 sshd hosts (box containers started BY THE TEST,
// never by cac) and a pool of min 2. doctor logs in to each host with its pinned key; reconcile leases 2
// hosts; a request claims warm and logs in; release cleans the host (agent logins and .env too) and frees it; two requests racing
// for the one free host: one gets it, the other provisions nothing (ERR_NO_CAPACITY) or, with --wait,
// waits until a release frees a host.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SshTarget } from '../../src/domain/box.js';
import { boxCli, poolToml, tomlString, vmDriverRow, writeConfig, type BoxDoc, type ErrorDoc } from '../helpers/box-cli.js';
import { sshPinned } from '../helpers/box-run.js';
import { describeWith } from '../helpers/infra.js';
import { execIn, keyPair, removeRunContainers, RUN, startBoxHosts } from '../integration/drivers/test-run.js';

const REPO = 'https://example.test/acme/fleet.git';
const WRONG_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const cli = boxCli(RUN);
const { json } = cli;
const dir = mkdtempSync(join(tmpdir(), 'cac-e2e-fleet-'));
const identityFile = join(dir, 'fleet_ed25519');

const hostId = (t: SshTarget) => `cac@127.0.0.1:${t.port}`;
const fleetToml = (hosts: Array<SshTarget & { user?: string }>) =>
  hosts
    .map((h) => `[[boxes.fleet]]\nhost = "127.0.0.1"\nport = ${h.port}\nuser = ${tomlString(h.user)}\nhost_key = ${tomlString(h.hostKey)}\nidentity_file = ${tomlString(identityFile)}\n`)
    .join('\n');
/** What the host's state file says (the box that holds it), or '' when it carries none. */
const stateFileBox = async (t: SshTarget) => (await execIn(t, 'cat ~/.cac/box.json 2>/dev/null || true')).match(/"boxId":"([^"]+)"/)?.[1] ?? '';
const request = (args: string[] = []) => cli.cac(['box', 'request', '--repo', REPO, '--json', ...args]);

describeWith(['docker'], 'ssh-fleet driver through bin/cac', () => {
  let hosts: SshTarget[] = [];

  beforeAll(async () => {
    const identity = keyPair('fleet-identity');
    writeFileSync(identityFile, identity.privateKey, { mode: 0o600 });
    hosts = await startBoxHosts(3, { authorizedKey: identity.publicKey });
    // provision = "vm": the VM and SSH only (the repo and devcontainer steps are not the subject here);
    // max_instances above the 3 hosts, so the fleet (not the pool limit) is what runs out
    writeConfig(cli.configFile, `[boxes]\ndriver = "ssh-fleet"\nprovision = "vm"\nprovision_timeout = "3m"\n\n${fleetToml(hosts)}\n${poolToml(REPO, 2, 6)}`);
  });
  afterAll(async () => {
    await removeRunContainers();
    for (const d of [dir, cli.home]) rmSync(d, { recursive: true, force: true });
  });

  it('doctor: every fleet host reachable with its pinned key (exit 0); a wrong pin is named (a warning while others answer: exit 3)', async () => {
    const { row, exitCode } = await vmDriverRow(cli);
    expect(exitCode).toBe(0);
    expect(row).toEqual({ name: 'vm driver', status: 'ok', detail: `ssh-fleet: ${hosts.map((h) => `${hostId(h)} reachable with its pinned key, free`).join('; ')}` });
    const [first] = hosts as [SshTarget];
    const wrong = writeConfig(join(dir, 'wrong-pin.toml'), `[boxes]\ndriver = "ssh-fleet"\n\n${fleetToml([first, { ...first, user: 'nobody', hostKey: WRONG_KEY }])}`);
    const { row: warned, exitCode: warnedExit } = await vmDriverRow(cli, wrong);
    expect(warnedExit).toBe(3);
    expect(warned).toMatchObject({ status: 'warning', hint: expect.stringContaining('host_key') });
    expect(warned.detail).toMatch(new RegExp(`^ssh-fleet: 1 of 2 failed: nobody@127\\.0\\.0\\.1:${first.port}: host key mismatch for nobody@127\\.0\\.0\\.1:${first.port}`));
  });

  let pool: BoxDoc[] = [];
  let warm: BoxDoc;

  it('pool reconcile leases 2 of the 3 hosts for 2 standby boxes', async () => {
    const r = await json<{ pools: Array<{ applied: { created: string[]; provisioned: Array<{ outcome: string }> } }> }>(['pool', 'reconcile']);
    expect(r.pools[0]?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby', 'standby']);
    pool = (await cli.boxes()).filter((b) => b.state === 'standby');
    expect(pool).toHaveLength(2);
    for (const box of pool) {
      const host = hosts.find((h) => box.vmRef === `${hostId(h)}#${box.id}`);
      expect(host, `${box.vmRef} is a fleet host`).toBeDefined();
      expect(box.sshTarget).toEqual(host);
      expect(await stateFileBox(host!)).toBe(box.id);
    }
    expect((await Promise.all(hosts.map(stateFileBox))).filter((b) => b === '')).toHaveLength(1);
  });

  it('box request claims a standby box warm; cac logs in to its host with the pinned key', async () => {
    const grant = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'ticket-1']);
    expect(grant).toMatchObject({ warm: true, box: { state: 'ready', claimant: 'ticket-1' } });
    warm = grant.box;
    expect(pool.map((b) => b.id)).toContain(warm.id);
    const login = sshPinned(warm.sshTarget!, cli.keyFile, 'id -un; cat ~/.cac/box.json');
    expect(login.status, login.stderr).toBe(0);
    expect(login.stdout).toMatch(new RegExp(`^cac\\n.*"boxId":"${warm.id}"`));
    expect(sshPinned(warm.sshTarget!, cli.keyFile, 'true', WRONG_KEY).status).not.toBe(0);
  });

  it('box release cleans the box off its host, agent logins and .env included, and frees it; reconcile refills the pool', async () => {
    const host = warm.sshTarget!;
    // what a claimant's dev container leaves in the login's home through a bind mount (${localEnv:HOME}/.claude), and the .env
    await execIn(
      host,
      `mkdir -p ~/cac/${warm.id}/repo ~/.claude ~/.codex ~/.gemini
      for f in .claude/.credentials.json .claude.json .codex/auth.json .gemini/oauth_creds.json cac/${warm.id}/repo/.env; do echo planted > ~/$f; done
      echo '{}' > ~/.claude/settings.json`,
    );
    expect((await json<{ box: BoxDoc }>(['box', 'release', warm.id])).box.state).toBe('destroyed');
    expect(await stateFileBox(host)).toBe('');
    expect(await execIn(host, `ls ~/cac`)).toBe('');
    expect(await execIn(host, 'cd ~ && ls -A .claude .codex .gemini; ls .claude.json 2>&1; grep -rl planted . 2>/dev/null; true')).toBe(
      ".claude:\nsettings.json\n\n.codex:\n\n.gemini:\nls: cannot access '.claude.json': No such file or directory\n",
    );
    const refill = await json<{ pools: Array<{ plan: { creates: number }; applied: { provisioned: Array<{ outcome: string }> } }> }>(['pool', 'reconcile']);
    expect(refill.pools[0]?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby']);
    expect((await Promise.all(hosts.map(stateFileBox))).filter((b) => b === '')).toHaveLength(1);
  });

  const held: BoxDoc[] = [];

  it('two concurrent requests for the one free host: exactly one gets it, the other provisions nothing (ERR_NO_CAPACITY)', async () => {
    // both standby boxes claimed: one host free, no warm box left
    for (const who of ['a', 'b']) held.push((await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', who])).box);
    expect(held.map((b) => b.warm)).toEqual([true, true]);
    const before = new Set((await cli.boxes()).map((b) => b.id));

    const results = await Promise.all([request(['--for', 'race-1']), request(['--for', 'race-2'])]);
    const won = results.filter((r) => r.exitCode === 0).map((r) => JSON.parse(r.stdout) as { warm: boolean; box: BoxDoc });
    const lost = results.filter((r) => r.exitCode !== 0);
    expect(won, results.map((r) => r.stdout + r.stderr).join('\n')).toHaveLength(1);
    expect(won[0]).toMatchObject({ warm: false, box: { state: 'requested' } });
    expect(lost.map((r) => r.exitCode)).toEqual([1]);
    expect(JSON.parse(lost[0]!.stdout)).toMatchObject({ outcome: 'error', code: 'ERR_NO_CAPACITY', message: 'no free fleet host: 3 configured, 3 leased, 0 unhealthy' } satisfies Partial<ErrorDoc>);

    // the winner provisions on the free host; the loser's record ended destroyed, and no worker ever ran for it
    const ready = await json<{ box: BoxDoc }>(['box', 'show', won[0]!.box.id, '--wait', '--timeout', '2m']);
    expect(ready.box).toMatchObject({ state: 'ready', claimant: won[0]!.box.claimant });
    held.push(ready.box);
    const made = (await cli.boxes()).filter((b) => !before.has(b.id));
    const loser = made.find((b) => b.id !== won[0]!.box.id);
    expect(loser).toMatchObject({ state: 'destroyed', vmRef: null, error: 'no free fleet host: 3 configured, 3 leased, 0 unhealthy', steps: [] });
    expect(existsSync(join(cli.stateDir, 'logs', `box-${loser!.id}.log`))).toBe(false);
    expect((await cli.boxes()).filter((b) => b.state === 'requested' || b.state === 'provisioning')).toEqual([]);
    expect(new Set(await Promise.all(hosts.map(stateFileBox)))).toEqual(new Set(held.map((b) => b.id)));
  });

  it('with --wait, a request on a full fleet waits until a release frees a host, then gets it', async () => {
    const full = await request(['--for', 'impatient']);
    expect(JSON.parse(full.stdout)).toMatchObject({ code: 'ERR_NO_CAPACITY' });

    const waiting = request(['--for', 'patient', '--wait', '--timeout', '3m']);
    // it waits: its record stays requested, holding no host
    let pending: BoxDoc | undefined;
    for (let i = 0; i < 100 && !pending; i++) {
      pending = (await cli.boxes()).find((b) => b.claimant === 'patient');
      if (!pending) await sleep(100);
    }
    await sleep(2_000);
    expect((await cli.boxes()).find((b) => b.claimant === 'patient')).toMatchObject({ state: 'requested', vmRef: null });

    const freed = held.shift()!;
    expect((await json<{ box: BoxDoc }>(['box', 'release', freed.id])).box.state).toBe('destroyed');
    const r = await waiting;
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { warm: boolean; box: BoxDoc };
    expect(got).toMatchObject({ warm: false, box: { id: pending?.id, state: 'ready', claimant: 'patient', sshTarget: freed.sshTarget } });
    held.push(got.box);
    expect(sshPinned(got.box.sshTarget!, cli.keyFile, 'true').status).toBe(0);
  });

  it('releasing every box frees every host', async () => {
    for (const box of held) expect((await json<{ box: BoxDoc }>(['box', 'release', box.id])).box.state).toBe('destroyed');
    const stillPool = (await cli.boxes()).filter((b) => b.state === 'standby');
    for (const box of stillPool) await json(['box', 'release', box.id]);
    expect(await Promise.all(hosts.map(stateFileBox))).toEqual(['', '', '']);
    expect((await json<{ boxes: BoxDoc[] }>(['box', 'list'])).boxes).toEqual([]);
  });
});
