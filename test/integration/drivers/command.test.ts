// The driver conformance suite on the command driver, running the shipped example plugin
// (examples/plugins/docker-box: boxes as containers on the test dockerd), and doctor's row for it.
import { resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { CommandVmDriver } from '../../../src/adapters/vm/command.js';
import { probeVmDriver } from '../../../src/app/driver-probe.js';
import type { Config } from '../../../src/config/schema.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { describeWith } from '../../helpers/infra.js';
import { driverConformance } from './conformance.js';
import { BOX_IMAGE, DOCKER_ENV, keyPair, removeRunContainers, RUN_LABELS } from './test-run.js';

const PLUGIN = resolve(import.meta.dirname, '../../../examples/plugins/docker-box');
// plain SSH boxes (DOCKER_BOX_DOCKERD=0): the contract is the subject here, not the inner engine
const ENV = { ...process.env, ...DOCKER_ENV, DOCKER_BOX_IMAGE: BOX_IMAGE, DOCKER_BOX_DOCKERD: '0' };
const commands = { create: `${PLUGIN} create`, destroy: `${PLUGIN} destroy`, list: `${PLUGIN} list`, status: `${PLUGIN} status` };

describeWith(['docker'], 'command driver with the docker-box example plugin', () => {
  afterAll(removeRunContainers);

  driverConformance('command (examples/plugins/docker-box)', async () => ({
    driver: new CommandVmDriver({ commands, timeoutMs: 120_000, env: ENV, scope: RUN_LABELS }),
    keys: keyPair(),
    labels: RUN_LABELS,
  }));

  it('status repeats the SSH endpoint, so another cac process (a fresh driver) can log in', async () => {
    const first = new CommandVmDriver({ commands, timeoutMs: 120_000, env: ENV, scope: RUN_LABELS });
    const { publicKey } = keyPair();
    const vm = await first.create({ boxId: 'box_resume000001', poolKey: 'p#main', labels: RUN_LABELS, sshPublicKey: publicKey }, { idempotencyKey: `resume-${RUN_LABELS['cac.test-run']}` });
    try {
      const fresh = new CommandVmDriver({ commands, timeoutMs: 120_000, env: ENV, scope: RUN_LABELS });
      expect(await fresh.sshTarget(vm)).toEqual(await first.sshTarget(vm));
      expect(await fresh.get(vm.vmRef)).toMatchObject({ vmRef: vm.vmRef, state: 'running' });
      expect((await fresh.list()).find((v) => v.vmRef === vm.vmRef)).toMatchObject({ boxId: 'box_resume000001', poolKey: 'p#main' });
    } finally {
      await first.destroy(vm.vmRef);
    }
  });

  it('doctor: the plugin programs are present and list answers; a missing one is an error', async () => {
    const base = defaultConfig();
    const config: Config = { ...base, boxes: { ...base.boxes, driver: 'command', command: { ...commands, timeout: '2m' } } };
    const deps = { host: new LocalHost(), env: ENV, stateDir: '/nonexistent' };
    const ok = await probeVmDriver(config, deps);
    expect(ok).toMatchObject({ name: 'vm driver', status: 'ok' });
    expect(ok.detail).toMatch(new RegExp(`^command: create ${PLUGIN}; destroy ${PLUGIN}; list ${PLUGIN}; status ${PLUGIN}; list answers \\(\\d+ VMs?\\)$`));
    const broken = await probeVmDriver({ ...config, boxes: { ...config.boxes, command: { ...commands, status: 'no-such-plugin status', timeout: '2m' } } }, deps);
    expect(broken).toMatchObject({ status: 'error', detail: 'command: 1 of 4 failed: status: no-such-plugin not found or not executable' });
  });
});
