// The pure half of ssh-fleet: host ids, VM refs, state files, and leases + host answers → the VM listing.
import { describe, expect, it } from 'vitest';
import { fleetHostId, fleetHosts, fleetVmRef, fleetVms, parseFleetVmRef, parseStateFile, type HostProbe } from '../../../src/adapters/vm/fleet-hosts.js';
import { isCacError } from '../../../src/errors.js';
import type { FleetHost } from '../../../src/ports/box-store.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const entry = (host: string, port = 22) => ({ host, port, user: 'cac', host_key: `${KEY} root@h`, labels: [] });
const lease = (hostId: string, boxId: string | null, leasedAt: number | null = 100): FleetHost => ({ hostId, boxId, leasedAt: boxId ? leasedAt : null, healthy: true, reason: null });
const file = (boxId: string, createdAt = 50, labels: Record<string, string> = {}) => ({ boxId, poolKey: 'p#main', idempotencyKey: `k-${boxId}`, labels, createdAt });

describe('fleet host ids and VM refs', () => {
  it('names a host user@host:port, brackets an IPv6 address, and pins only type and key', () => {
    expect(fleetHostId({ user: 'cac', host: '10.0.0.5', port: 22 })).toBe('cac@10.0.0.5:22');
    expect(fleetHostId({ user: 'cac', host: '::1', port: 2222 })).toBe('cac@[::1]:2222');
    const [h] = fleetHosts([{ ...entry('10.0.0.5'), identity_file: '~/.ssh/fleet', labels: ['gpu'] }]);
    expect(h).toEqual({ id: 'cac@10.0.0.5:22', target: { host: '10.0.0.5', port: 22, user: 'cac', hostKey: KEY }, identityFile: '~/.ssh/fleet', labels: ['gpu'] });
  });

  it('refuses a host listed twice, naming the entry', () => {
    let error: unknown;
    try {
      fleetHosts([entry('a'), entry('b'), entry('a')]);
    } catch (e) {
      error = e;
    }
    expect(isCacError(error) && [error.code, error.message]).toEqual(['ERR_CONFIG_SCHEMA', 'boxes.fleet.2: cac@a:22 is listed twice']);
  });

  it('round-trips a VM ref and refuses one whose box id could escape a folder', () => {
    const ref = fleetVmRef('cac@[::1]:22', 'box_abc');
    expect(ref).toBe('cac@[::1]:22#box_abc');
    expect(parseFleetVmRef(ref)).toEqual({ hostId: 'cac@[::1]:22', boxId: 'box_abc' });
    for (const bad of ['cac@h:22', '#box_a', 'cac@h:22#', 'cac@h:22#../..', 'cac@h:22#a b', 'cac@h:22#.x']) expect(parseFleetVmRef(bad)).toBeUndefined();
  });
});

describe('parseStateFile', () => {
  it('reads a state file and refuses what is not one', () => {
    expect(parseStateFile(JSON.stringify(file('box_a')))).toEqual(file('box_a'));
    expect(parseStateFile('{"boxId":"box_a","createdAt":7}')).toEqual({ boxId: 'box_a', poolKey: '', idempotencyKey: '', labels: {}, createdAt: 7 });
    for (const bad of ['', 'garbage', '{}', '{"boxId":"","createdAt":1}', '{"boxId":"b"}']) expect(parseStateFile(bad)).toBeUndefined();
  });
});

describe('fleetVms', () => {
  const H1 = 'cac@h1:22';
  const H2 = 'cac@h2:22';
  const H3 = 'cac@h3:22';

  it('lists a lease with what its state file says, running when the host answers', () => {
    const probes = new Map<string, HostProbe>([
      [H1, { reachable: true, state: file('box_a', 40) }],
      [H2, { reachable: true }],
    ]);
    expect(fleetVms([lease(H1, 'box_a'), lease(H2, null)], probes)).toEqual([{ vmRef: `${H1}#box_a`, boxId: 'box_a', poolKey: 'p#main', createdAt: 40, state: 'running' }]);
  });

  it('keeps a lease on a host that does not answer (stopped), so its box is not failed for a blip', () => {
    const probes = new Map<string, HostProbe>([[H1, { reachable: false, error: 'ECONNREFUSED' }]]);
    expect(fleetVms([lease(H1, 'box_a', 100)], probes)).toEqual([{ vmRef: `${H1}#box_a`, boxId: 'box_a', poolKey: undefined, createdAt: 100, state: 'stopped' }]);
    // a lease on a host no longer configured (never asked) is listed too
    expect(fleetVms([lease(H3, 'box_c')], new Map())).toMatchObject([{ vmRef: `${H3}#box_c`, state: 'stopped' }]);
  });

  it('lists a state file of a box without a lease there as its own VM (an orphan), in scope only', () => {
    const probes = new Map<string, HostProbe>([
      [H1, { reachable: true, state: file('box_old', 10, { 'cac.store': 's1' }) }],
      [H2, { reachable: true, state: file('box_lost', 20, { 'cac.store': 's1' }) }],
      [H3, { reachable: true, state: file('box_theirs', 30, { 'cac.store': 'other' }) }],
    ]);
    const vms = fleetVms([lease(H1, 'box_new', 99)], probes, { 'cac.store': 's1' });
    expect(vms.map((v) => [v.vmRef, v.boxId, v.createdAt])).toEqual([
      [`${H1}#box_new`, 'box_new', 99],
      [`${H1}#box_old`, 'box_old', 10],
      [`${H2}#box_lost`, 'box_lost', 20],
    ]);
  });
});
