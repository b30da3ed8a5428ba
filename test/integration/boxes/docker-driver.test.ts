// DockerVmDriver on the real dockerd with the real box image: idempotent create, scoped listing,
// idempotent destroy, the pinned host key, and real SSH logins (ssh2 and OpenSSH) that refuse any other key.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DockerDriverOptions } from '../../../src/adapters/vm/docker.js';
import { sshLogin } from '../../../src/adapters/vm/ssh-probe.js';
import { ensureKeyPair, type SshKeyPair } from '../../../src/app/ssh-key.js';
import type { SshTarget } from '../../../src/domain/box.js';
import { isCacError } from '../../../src/errors.js';
import { boxHostKey, newRunId, removeRun, runContainers, sshPinned, testDockerDriver } from '../../helpers/box-run.js';
import { describeWith, engineEnv, infra } from '../../helpers/infra.js';

const RUN = newRunId('driver');
const OTHER_RUN = newRunId('driver-other');

const driver = (overrides: Partial<DockerDriverOptions> = {}) => testDockerDriver(RUN, overrides);

const spec = (boxId: string, key: SshKeyPair) => ({ boxId, poolKey: 'https://example.test/acme/app.git#main', labels: { extra: 'yes' }, sshPublicKey: key.publicKey });
const sig = () => ({ signal: new AbortController().signal, timeoutMs: 30_000 });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isCacError(e) ? e.code : String(e);
  }
}

describeWith(['docker'], 'DockerVmDriver', () => {
  let keys: SshKeyPair;
  let keyFile: string;
  beforeAll(async () => {
    keys = await ensureKeyPair(mkdtempSync(join(tmpdir(), 'cac-driver-state-')));
    keyFile = keys.path;
  });
  afterAll(() => {
    removeRun(RUN);
    removeRun(OTHER_RUN);
  });

  it('creates a labelled box idempotently (also under a race), lists it within its scope only, destroys idempotently', async () => {
    const d = driver();
    const [a, b] = await Promise.all([d.create(spec('box_drv000000001', keys), { idempotencyKey: 'k1' }), d.create(spec('box_drv000000001', keys), { idempotencyKey: 'k1' })]);
    expect(b.vmRef).toBe(a.vmRef);
    expect((await d.create(spec('box_drv000000001', keys), { idempotencyKey: 'k1' })).vmRef).toBe(a.vmRef);
    expect(a).toMatchObject({ boxId: 'box_drv000000001', poolKey: 'https://example.test/acme/app.git#main', state: 'running' });
    expect(Math.abs(a.createdAt - Date.now())).toBeLessThan(120_000);
    expect(runContainers(RUN)).toEqual([{ id: a.vmRef, boxId: 'box_drv000000001' }]);

    const other = driver({ scope: { 'cac.test-run': OTHER_RUN } });
    const theirs = await other.create(spec('box_drv000000002', keys), { idempotencyKey: 'k2' });
    expect((await d.list()).map((v) => v.vmRef)).toEqual([a.vmRef]);
    expect((await other.list()).map((v) => v.vmRef)).toEqual([theirs.vmRef]);

    await d.destroy(a.vmRef);
    await d.destroy(a.vmRef);
    expect(await d.get(a.vmRef)).toBeUndefined();
    expect(await d.list()).toEqual([]);
    await other.destroy(theirs.vmRef);
  });

  it('pins the host key the box holds, and logs in with it (ssh2 and OpenSSH); any other key is refused', async () => {
    const d = driver();
    const vm = await d.create(spec('box_drv000000003', keys), { idempotencyKey: 'k3' });
    const target = await d.sshTarget(vm, { timeoutMs: 30_000 });
    expect(target).toMatchObject({ host: '127.0.0.1', user: 'cac', port: expect.any(Number) });
    expect(target.hostKey).toBe(boxHostKey(vm.vmRef));
    await sshLogin(target, keys.privateKey, sig());

    const who = sshPinned(target, keyFile, 'id -un');
    expect(who.status, who.stderr).toBe(0);
    expect(who.stdout.trim()).toBe('cac');

    const wrong: SshTarget = { ...target, hostKey: infra.CAC_TEST_SSH_HOST_KEY ?? 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa' };
    expect(await code(sshLogin(wrong, keys.privateKey, sig()))).toBe('ERR_HOST_KEY_MISMATCH');
    expect(sshPinned(target, keyFile, 'true', wrong.hostKey).stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    const stranger = await ensureKeyPair(mkdtempSync(join(tmpdir(), 'cac-driver-stranger-')));
    expect(await code(sshLogin(target, stranger.privateKey, sig()))).toBe('ERR_SSH_AUTH');
    await d.destroy(vm.vmRef);
  });

  it("names its engine by the ID docker info gives (where a box's VM lives)", async () => {
    const id = await driver().engineId();
    expect(id).toMatch(/\S{8,}/);
    expect(id).toBe(execFileSync('docker', ['info', '--format', '{{.ID}}'], { env: { ...process.env, ...engineEnv() }, encoding: 'utf8' }).trim());
  });

  it('runs the inner Docker engine in a default box (the provisioner needs it)', async () => {
    const d = driver({ innerDocker: true });
    const vm = await d.create(spec('box_drv000000004', keys), { idempotencyKey: 'k4' });
    const target = await d.sshTarget(vm, { timeoutMs: 30_000 });
    await sshLogin(target, keys.privateKey, sig());
    let info = { status: -1 as number | null, stdout: '', stderr: '' };
    for (let i = 0; i < 40 && info.status !== 0; i++) {
      info = sshPinned(target, keyFile, 'sudo docker info --format {{.ServerVersion}}');
      if (info.status !== 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout.trim()).toMatch(/^\d+\./);
    await d.destroy(vm.vmRef);
  });

  it('fails create with a clear error when the image is missing', async () => {
    const d = driver({ image: 'cac-test/no-such-image:never' });
    expect(await code(d.create(spec('box_drv000000005', keys), { idempotencyKey: 'k5' }))).toBe('ERR_VM_CREATE');
    expect(runContainers(RUN).filter((c) => c.boxId === 'box_drv000000005')).toEqual([]);
  });
});
