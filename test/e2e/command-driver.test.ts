// The command driver through bin/cac with the shipped example plugin (examples/plugins/docker-box:
// boxes as containers on the test dockerd): doctor sees the plugin answer `list`; reconcile fills a
// pool of 2; a request claims warm and logs in with the pinned key; release removes the container; a
// cold request provisions through the worker. Then plugins that misbehave (not JSON, missing fields,
// exit 1, a hang past the timeout): one clear error naming the plugin and the call, and no box left
// requested or provisioning, through box request, pool reconcile and doctor.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boxCli, poolToml, tomlString, vmDriverRow, writeConfig, type BoxDoc, type ErrorDoc } from '../helpers/box-cli.js';
import { boxHostKey, newRunId, removeRun, runContainers, sshPinned } from '../helpers/box-run.js';
import { describeWith, infra } from '../helpers/infra.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

const RUN = newRunId('e2e-command');
const PLUGIN = resolve(REPO_ROOT, 'examples/plugins/docker-box');
const FIXTURES = resolve(REPO_ROOT, 'test/fixtures/plugins');
const REPO = 'https://example.test/acme/plugged.git';
// plain SSH boxes: the contract and the allocator are the subject here, not the inner engine
const cli = boxCli(RUN, { DOCKER_BOX_IMAGE: infra.CAC_TEST_BOX_IMAGE ?? 'cac-test/box:bookworm', DOCKER_BOX_DOCKERD: '0' });
const { json } = cli;

type Call = 'create' | 'destroy' | 'list' | 'status';
/** `[boxes]` for the command driver: the docker-box plugin for every call but those in `programs`. */
function commandConfig(programs: Partial<Record<Call, string>> = {}, opts: { timeout?: string; pools?: string } = {}): string {
  const line = (call: Call) => `${call} = ${tomlString(`${programs[call] ?? PLUGIN} ${call}`)}`;
  // provision = "vm": the VM and SSH only (the repo and devcontainer steps are not the subject here)
  return `[boxes]\ndriver = "command"\nprovision = "vm"\nprovision_timeout = "3m"\n\n[boxes.command]\n${(['create', 'destroy', 'list', 'status'] as const).map(line).join('\n')}\ntimeout = ${tomlString(opts.timeout ?? '2m')}\nenv = ["DOCKER_BOX_IMAGE", "DOCKER_BOX_DOCKERD"]\n\n${opts.pools ?? ''}`;
}
const configFile = (name: string, toml: string) => writeConfig(join(cli.stateDir, '..', 'configs', `${name}.toml`), toml);
const inFlight = async (config?: string) => (await cli.boxes(config)).filter((b) => b.state === 'requested' || b.state === 'provisioning');

describeWith(['docker'], 'command driver through bin/cac', () => {
  beforeAll(() => void writeConfig(cli.configFile, commandConfig({}, { pools: poolToml(REPO, 2, 4) })));
  afterAll(() => {
    removeRun(RUN);
    rmSync(cli.home, { recursive: true, force: true });
  });

  it('doctor: the plugin programs are present and list answers', async () => {
    const { row, exitCode } = await vmDriverRow(cli);
    expect(exitCode).toBe(0);
    expect(row).toMatchObject({ name: 'vm driver', status: 'ok' });
    expect(row.detail).toMatch(new RegExp(`^command: create ${PLUGIN}; destroy ${PLUGIN}; list ${PLUGIN}; status ${PLUGIN}; list answers \\(\\d+ VMs?\\)$`));
  });

  let warm: BoxDoc;

  it('pool reconcile fills the pool through the plugin; box request claims warm and logs in with the pinned key', async () => {
    const r = await json<{ pools: Array<{ applied: { provisioned: Array<{ outcome: string }> } }> }>(['pool', 'reconcile']);
    expect(r.pools[0]?.applied.provisioned.map((p) => p.outcome)).toEqual(['standby', 'standby']);
    expect(runContainers(RUN)).toHaveLength(2);
    const grant = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', REPO, '--for', 'ticket-9']);
    expect(grant).toMatchObject({ warm: true, box: { state: 'ready', claimant: 'ticket-9' } });
    warm = grant.box;
    expect(runContainers(RUN).find((c) => c.id === warm.vmRef)?.boxId).toBe(warm.id);
    expect(warm.sshTarget?.hostKey).toBe(boxHostKey(warm.vmRef!));
    const login = sshPinned(warm.sshTarget!, cli.keyFile, 'id -un');
    expect(login.status, login.stderr).toBe(0);
    expect(login.stdout.trim()).toBe('cac');
  });

  it('box release removes the container through the plugin; a cold request provisions through the worker', async () => {
    expect((await json<{ box: BoxDoc }>(['box', 'release', warm.id])).box.state).toBe('destroyed');
    expect(runContainers(RUN).map((c) => c.boxId)).not.toContain(warm.id);
    const cold = await json<{ warm: boolean; box: BoxDoc }>(['box', 'request', '--repo', 'https://example.test/acme/cold.git', '--wait', '--timeout', '2m']);
    expect(cold).toMatchObject({ warm: false, box: { state: 'ready', warm: false } });
    expect(sshPinned(cold.box.sshTarget!, cli.keyFile, 'true').status).toBe(0);
    expect((await json<{ box: BoxDoc }>(['box', 'release', cold.box.id])).box.state).toBe('destroyed');
    expect(runContainers(RUN).map((c) => c.boxId)).not.toContain(cold.box.id);
  });

  describe('a plugin that misbehaves: a clear error naming the plugin and the call, no box left in flight', () => {
    const cases = [
      { name: 'not-json', says: 'gave a bad answer: printed something that is not JSON: "Creating your instance, please wait...\\ndone"' },
      { name: 'missing-fields', says: 'gave a bad answer: missing or invalid port (1-65535), user (a login name), hostKey (an OpenSSH public key line)' },
      { name: 'exit-1', says: 'exited 1\n  stderr: log line 7' },
      { name: 'hang', says: 'timed out after 3s\n  stderr: waiting for the cloud...' },
    ];

    for (const { name, says } of cases) {
      it(`create ${name}: box request --wait fails with the plugin's error; pool reconcile warns with it`, async () => {
        const exe = join(FIXTURES, name);
        const repo = `https://example.test/acme/${name}.git`;
        const config = configFile(`create-${name}`, commandConfig({ create: exe }, { timeout: '3s', pools: poolToml(repo, 1, 2) }));
        const expected = `vm_create: command plugin ${exe} (create) ${says}`;

        const r = await cli.cac(['--config', config, 'box', 'request', '--repo', `https://example.test/acme/${name}-cold.git`, '--wait', '--timeout', '1m', '--json']);
        expect(r.exitCode, r.stdout + r.stderr).toBe(1);
        const error = JSON.parse(r.stdout) as ErrorDoc;
        expect(error).toMatchObject({ code: 'ERR_BOX_FAILED' });
        expect(error.message).toMatch(/^box box_\w+ is failed: /);
        expect(error.message).toContain(expected);

        const reconciled = await cli.cac(['--config', config, 'pool', 'reconcile', '--json']);
        expect(reconciled.exitCode, reconciled.stderr).toBe(3);
        const doc = JSON.parse(reconciled.stdout) as { outcome: string; warnings: string[]; pools: Array<{ applied: { provisioned: Array<{ id: string; outcome: string; error?: string }> } }> };
        expect(doc.outcome).toBe('warnings');
        const [provisioned] = doc.pools[0]?.applied.provisioned ?? [];
        expect(provisioned).toMatchObject({ outcome: 'failed' });
        expect(provisioned?.error).toContain(expected);
        expect(doc.warnings).toEqual([`box ${provisioned?.id} failed: ${provisioned?.error}`]);

        const boxes = await cli.boxes(config);
        const failed = boxes.filter((b) => b.error?.includes(expected));
        expect(failed.map((b) => [b.state, b.steps.map((s) => [s.name, s.ok])])).toEqual([
          ['failed', [['vm_create', false]]],
          ['failed', [['vm_create', false]]],
        ]);
        expect(await inFlight(config)).toEqual([]);
      });
    }

    it('list exits 1: pool reconcile fails naming the plugin and the call, and creates nothing', async () => {
      const exe = join(FIXTURES, 'exit-1');
      const config = configFile('list-exit-1', commandConfig({ list: exe }, { pools: poolToml('https://example.test/acme/list-broken.git', 2, 2) }));
      const before = (await cli.boxes(config)).length;
      const r = await cli.cac(['--config', config, 'pool', 'reconcile', '--json']);
      expect(r.exitCode).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        outcome: 'error',
        code: 'ERR_VM_PLUGIN',
        message: expect.stringMatching(new RegExp(`^command plugin ${exe} \\(list\\) exited 1\\n  stderr: log line 7\\n`)),
        hint: `run it by hand: echo '<json>' | ${exe} list`,
      });
      expect((await cli.boxes(config)).length).toBe(before);
    });

    it('doctor: a plugin whose list is not JSON is an error naming the plugin and the call; a missing program is named', async () => {
      const exe = join(FIXTURES, 'not-json');
      const { row: bad, exitCode } = await vmDriverRow(cli, configFile('doctor-not-json', commandConfig({ list: exe })));
      expect(exitCode).toBe(1);
      expect(bad).toMatchObject({
        status: 'error',
        detail: `command: 1 of 5 failed: list: command plugin ${exe} (list) gave a bad answer: printed something that is not JSON: "Creating your instance, please wait...\\ndone"`,
      });
      const { row: missing } = await vmDriverRow(cli, configFile('doctor-missing', commandConfig({ destroy: '/nonexistent/plugin' })));
      expect(missing).toMatchObject({ status: 'error', detail: 'command: 1 of 4 failed: destroy: /nonexistent/plugin not found or not executable' });
    });

    it('no box of the run is left in flight, and every container the plugin made was for a live box', async () => {
      expect(await inFlight()).toEqual([]);
      const live = new Set((await cli.boxes()).filter((b) => b.state !== 'destroyed').map((b) => b.id));
      for (const c of runContainers(RUN)) expect(live.has(c.boxId), `container of ${c.boxId}`).toBe(true);
    });
  });
});
