// The fleet-lease part of the BoxStore contract (contract.ts calls it inside its describe): atomic
// leases of ssh-fleet hosts, so two cac processes never lease one host.
import { expect, it } from 'vitest';
import type { BoxStore } from '../../../src/ports/box-store.js';

const T0 = 1_700_000_000_000;
const HOSTS = ['cac@10.0.0.1:22', 'cac@10.0.0.2:22', 'cac@10.0.0.3:22'];
const [H1, H2, H3] = HOSTS as [string, string, string];

export function fleetLeaseCases(current: () => BoxStore): void {
  it('leases the first free candidate, and the same host again to the same box', async () => {
    const store = current();
    expect(await store.listFleetHosts()).toEqual([]);
    expect(await store.leaseFleetHost(HOSTS, 'box_a', T0)).toBe(H1);
    expect(await store.leaseFleetHost(HOSTS, 'box_a', T0 + 5)).toBe(H1);
    expect(await store.leaseFleetHost(HOSTS, 'box_b', T0 + 6)).toBe(H2);
    expect(await store.leaseFleetHost([H3, H1], 'box_c', T0 + 7)).toBe(H3);
    expect(await store.leaseFleetHost(HOSTS, 'box_d', T0 + 8)).toBeNull();
    expect(await store.leaseFleetHost([], 'box_e', T0 + 9)).toBeNull();
    expect(await store.listFleetHosts()).toEqual([
      { hostId: H1, boxId: 'box_a', leasedAt: T0, healthy: true, reason: null },
      { hostId: H2, boxId: 'box_b', leasedAt: T0 + 6, healthy: true, reason: null },
      { hostId: H3, boxId: 'box_c', leasedAt: T0 + 7, healthy: true, reason: null },
    ]);
  });

  it('releases only for the holder, and a released host is leased again', async () => {
    const store = current();
    await store.leaseFleetHost(HOSTS, 'box_a', T0);
    expect(await store.releaseFleetHost(H1, 'box_other')).toBe(false);
    expect(await store.releaseFleetHost(H2, 'box_a')).toBe(false);
    expect((await store.listFleetHosts())[0]).toMatchObject({ hostId: H1, boxId: 'box_a' });
    expect(await store.releaseFleetHost(H1, 'box_a')).toBe(true);
    expect(await store.releaseFleetHost(H1, 'box_a')).toBe(false);
    expect(await store.listFleetHosts()).toEqual([{ hostId: H1, boxId: null, leasedAt: null, healthy: true, reason: null }]);
    expect(await store.leaseFleetHost(HOSTS, 'box_b', T0 + 1)).toBe(H1);
    expect(await store.leaseFleetHost(HOSTS, 'box_a', T0 + 2)).toBe(H2);
  });

  it('skips unhealthy hosts until they are healthy again, and keeps a lease across health changes', async () => {
    const store = current();
    await store.setFleetHostHealth(H1, false, 'ssh: connection refused');
    expect(await store.leaseFleetHost(HOSTS, 'box_a', T0)).toBe(H2);
    await store.setFleetHostHealth(H2, false);
    expect(await store.listFleetHosts()).toEqual([
      { hostId: H1, boxId: null, leasedAt: null, healthy: false, reason: 'ssh: connection refused' },
      { hostId: H2, boxId: 'box_a', leasedAt: T0, healthy: false, reason: 'unhealthy' },
    ]);
    expect(await store.leaseFleetHost(HOSTS, 'box_a', T0 + 1)).toBe(H2);
    expect(await store.leaseFleetHost([H1, H2], 'box_b', T0 + 1)).toBeNull();
    await store.setFleetHostHealth(H1, true);
    expect((await store.listFleetHosts())[0]).toEqual({ hostId: H1, boxId: null, leasedAt: null, healthy: true, reason: null });
    expect(await store.leaseFleetHost([H1, H2], 'box_b', T0 + 2)).toBe(H1);
  });

  it('gives 3 hosts to exactly 3 of 20 concurrent leases, one host per box', async () => {
    const store = current();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.leaseFleetHost(HOSTS, `box_${i}`, T0 + i)));
    const winners = results.flatMap((host, i) => (host === null ? [] : [{ host, box: `box_${i}` }]));
    expect(winners).toHaveLength(3);
    expect(new Set(winners.map((w) => w.host))).toEqual(new Set(HOSTS));
    const leases = await store.listFleetHosts();
    for (const w of winners) expect(leases.find((l) => l.hostId === w.host)?.boxId).toBe(w.box);
    // the same box racing itself gets one host, never two
    await store.releaseFleetHost(winners[0]!.host, winners[0]!.box);
    const same = await Promise.all(Array.from({ length: 10 }, () => store.leaseFleetHost(HOSTS, 'box_same', T0 + 99)));
    expect(new Set(same)).toEqual(new Set([winners[0]!.host]));
  });
}
