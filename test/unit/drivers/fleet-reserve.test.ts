// ssh-fleet reserve: a cold request leases its host through the store before its worker starts; the
// worker's create then logs in to THAT host, and none free is ERR_NO_CAPACITY. Leases in memory; the
// "hosts" answer the claim script with the state file it would write.
import { describe, expect, it } from 'vitest';
import { fleetHosts } from '../../../src/adapters/vm/fleet-hosts.js';
import { SshFleetVmDriver } from '../../../src/adapters/vm/ssh-fleet.js';
import type { SshTarget } from '../../../src/domain/box.js';
import { isCacError } from '../../../src/errors.js';
import type { ExecResult } from '../../../src/ports/host.js';
import { MemoryBoxStore } from '../../fakes/boxes.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';

function fleet(hosts: string[]) {
  const leases = new MemoryBoxStore();
  const logins: string[] = [];
  // the claim script prints the state file; answer with the one it carries
  const run = async (target: SshTarget, script: string): Promise<ExecResult> => {
    logins.push(target.host);
    const boxId = /"boxId":"(box_[a-z0-9]+)"/.exec(script)?.[1] ?? '';
    return { exitCode: 0, stdout: JSON.stringify({ boxId, poolKey: 'p#main', idempotencyKey: 'k', labels: {}, createdAt: 1 }), stderr: '' };
  };
  const specs = fleetHosts(hosts.map((host) => ({ host, port: 22, user: 'cac', host_key: KEY, labels: [] })));
  const driver = new SshFleetVmDriver({ hosts: specs, leases, privateKey: async () => 'unused', run, now: () => 1_000 });
  return { leases, logins, driver };
}

const spec = (boxId: string) => ({ boxId, poolKey: 'p#main', labels: {}, sshPublicKey: 'ssh-ed25519 AAAA cac' });

describe('SshFleetVmDriver.reserve', () => {
  it('leases a free host without logging in; create then uses that host', async () => {
    const { leases, logins, driver } = fleet(['h1', 'h2']);
    await leases.leaseFleetHost(['cac@h1:22'], 'box_other', 1);
    await driver.reserve({ boxId: 'box_mine' });
    await driver.reserve({ boxId: 'box_mine' });
    expect(logins).toEqual([]);
    expect((await leases.listFleetHosts()).map((h) => [h.hostId, h.boxId])).toEqual([
      ['cac@h1:22', 'box_other'],
      ['cac@h2:22', 'box_mine'],
    ]);
    const vm = await driver.create(spec('box_mine'), { idempotencyKey: 'k' });
    expect(vm.vmRef).toBe('cac@h2:22#box_mine');
    expect(logins).toEqual(['h2']);
  });

  it('every host leased: ERR_NO_CAPACITY saying how many are busy, and nothing leased', async () => {
    const { leases, driver } = fleet(['h1']);
    await driver.reserve({ boxId: 'box_first' });
    const e = await driver.reserve({ boxId: 'box_second' }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isCacError(e) && [e.code, e.message]).toEqual(['ERR_NO_CAPACITY', 'no free fleet host: 1 configured, 1 leased, 0 unhealthy']);
    expect((await leases.listFleetHosts()).map((h) => h.boxId)).toEqual(['box_first']);
  });

  it('a reserved host is freed by destroying the VM of the box', async () => {
    const { leases, driver } = fleet(['h1']);
    await driver.reserve({ boxId: 'box_first' });
    const [vm] = await driver.list();
    expect(vm).toMatchObject({ vmRef: 'cac@h1:22#box_first', boxId: 'box_first' });
    await driver.destroy(vm?.vmRef ?? '');
    expect((await leases.listFleetHosts()).map((h) => h.boxId)).toEqual([null]);
    await driver.reserve({ boxId: 'box_second' });
  });
});
