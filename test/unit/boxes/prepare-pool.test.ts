// `cac pool prepare` on fakes of our ports: an unchanged config makes no VM; a changed one makes a throwaway
// VM with an EMPTY inner engine, runs the steps, stops the engine on the box, saves the state under the
// hash the box computed, destroys the VM and removes the state it replaced; a failed step saves nothing.
import { describe, expect, it } from 'vitest';
import { preparePool, type PreparePoolDeps } from '../../../src/core/boxes/prepare-pool.js';
import { preparedConfigHash } from '../../../src/core/boxes/prepared.js';
import type { ProvisionStep } from '../../../src/core/provision/pipeline.js';
import type { PreparedState, PreparedStates, VmSpec } from '../../../src/ports/vm-driver.js';
import { FakeVmDriver } from '../../fakes/boxes.js';
import { provisionHarness, type FakeBoxHost } from '../../fakes/provision.js';
import { recordingReporter } from '../../fakes/reporter.js';

const POOL = { repoUrl: 'file:///srv/app', baseBranch: 'main', minStandby: 1, maxInstances: 2 };
const KEY = 'file:///srv/app#main';

class FakePrepared implements PreparedStates {
  states: PreparedState[] = [];
  removed: string[] = [];
  async list() {
    return [...this.states];
  }
  async save(vm: { vmRef: string }, meta: { poolKey: string; configHash: string; preparedAt: number }) {
    const s = { ...meta, ref: `vol-${vm.vmRef}` };
    this.states.push(s);
    return s;
  }
  async remove(ref: string) {
    this.removed.push(ref);
    this.states = this.states.filter((s) => s.ref !== ref);
  }
}

function setup(opts: { failStep?: boolean } = {}) {
  const h = provisionHarness();
  const driver = new FakeVmDriver();
  const prepared = new FakePrepared();
  Object.assign(driver, { prepared });
  const specs: VmSpec[] = [];
  driver.beforeCreate = async (spec) => void specs.push(spec);
  const hosts: FakeBoxHost[] = [];
  const step: ProvisionStep = {
    name: 'devcontainer',
    async run() {
      if (opts.failStep) throw new Error('no image');
      return {
        sshTarget: { host: '127.0.0.1', port: 2201, user: 'cac', hostKey: 'k' },
        workspace: { folder: '/home/cac/app', branch: 'main', configFile: 'c', cli: '/usr/local/bin/devcontainer', containerId: 'c1', remoteUser: 'dev', remoteWorkspaceFolder: '/w' },
      };
    },
  };
  h.source.objects.set('main:.devcontainer', 'tree-1');
  const { reporter, events } = recordingReporter();
  let t = 1000;
  const deps: PreparePoolDeps = {
    driver,
    steps: [step],
    host: async (box) => {
      const host = (await h.connections.get(box)) as FakeBoxHost;
      host.answer = (c) => (c.what === 'config-objects' ? { exitCode: 0, stdout: 'tree-1\n', stderr: '' } : undefined);
      hosts.push(host);
      return host;
    },
    close: async () => undefined,
    source: h.source,
    hash: { images: h.images, preloadImages: ['cac-test/base:bookworm'], cliVersion: '0.89.0' },
    sshPublicKey: 'ssh-ed25519 AAAA',
    labels: {},
    reporter,
    now: () => (t += 10),
    newId: () => 'abc',
    timeoutMs: 60_000,
  };
  const hash = preparedConfigHash({ configObjects: ['tree-1'], cliVersion: '0.89.0', preloads: ['cac-test/base:bookworm@sha256:base'] });
  return { deps, driver, prepared, specs, hosts, events, hash };
}

const signal = new AbortController().signal;

describe('preparePool', () => {
  it('nothing prepared: a throwaway VM with an empty engine, the engine stopped on the box, saved under the hash, the VM destroyed', async () => {
    const s = setup();
    const r = await preparePool(s.deps, POOL, { signal });
    expect(r).toMatchObject({ poolKey: KEY, action: 'prepared', configHash: s.hash, reason: 'nothing prepared yet', removed: [] });
    expect(s.specs).toEqual([expect.objectContaining({ boxId: 'prep_abc', poolKey: KEY, unprepared: true })]);
    const finish = s.hosts[0]?.calls.find((c) => c.argv[2]?.includes('docker.pid'));
    expect(finish?.argv.slice(4)).toEqual(['prep_abc', JSON.stringify({ poolKey: KEY, configHash: s.hash, preparedAt: r.preparedAt }), '/usr/local/bin/devcontainer', '0.89.0']);
    expect(s.prepared.states).toEqual([{ poolKey: KEY, configHash: s.hash, preparedAt: r.preparedAt, ref: 'vol-vm-1' }]);
    expect(s.driver.vms.size).toBe(0);
  });

  it('the same config again: unchanged, no VM; forced or changed: prepared again and the old state removed', async () => {
    const s = setup();
    const first = await preparePool(s.deps, POOL, { signal });
    const same = await preparePool(s.deps, POOL, { signal });
    expect(same).toMatchObject({ action: 'unchanged', configHash: first.configHash, preparedAt: first.preparedAt });
    expect(s.specs).toHaveLength(1);
    const forced = await preparePool(s.deps, POOL, { signal, force: true });
    expect(forced).toMatchObject({ action: 'prepared', reason: 'forced', removed: ['vol-vm-1'] });
    expect(s.prepared.states.map((p) => p.ref)).toEqual(['vol-vm-2']);
    s.prepared.states = [{ ...(s.prepared.states[0] as PreparedState), configHash: '0000000000000000' }];
    const changed = await preparePool(s.deps, POOL, { signal });
    expect(changed).toMatchObject({ action: 'prepared', reason: expect.stringContaining('changed (prepared 0000000000000000'), removed: ['vol-vm-2'] });
  });

  it('a failed step saves nothing and destroys the VM', async () => {
    const s = setup({ failStep: true });
    await expect(preparePool(s.deps, POOL, { signal })).rejects.toThrow('preparing file:///srv/app#main: step devcontainer failed: no image');
    expect(s.prepared.states).toEqual([]);
    expect(s.driver.vms.size).toBe(0);
  });

  it('a driver without prepared states refuses with ERR_PREPARE_UNSUPPORTED', async () => {
    const s = setup();
    const { deps } = s;
    await expect(preparePool({ ...deps, driver: new FakeVmDriver() }, POOL, { signal })).rejects.toMatchObject({ code: 'ERR_PREPARE_UNSUPPORTED' });
  });
});
