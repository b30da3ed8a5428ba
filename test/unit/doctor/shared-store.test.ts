// `cac doctor` on a host sharing its store: the fleet identity needs the master key, and a local driver
// (docker) with a shared store is a warning that says what it means.
import { describe, expect, it } from 'vitest';
import { sharedStoreChecks } from '../../../src/core/doctor/shared-store.js';

const facts = { store: 'redis' as const, driver: 'docker', dockerSshHost: '127.0.0.1', masterKey: true };

describe('sharedStoreChecks', () => {
  it('says nothing for the SQLite store (one host)', () => {
    expect(sharedStoreChecks({ ...facts, store: 'sqlite' })).toEqual([]);
  });

  it('warns about a local docker driver with a shared store: who judges its VMs, where others log in', () => {
    const rows = sharedStoreChecks(facts);
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['fleet identity', 'ok'],
      ['shared store, local driver', 'warning'],
    ]);
    expect(rows[1]?.detail).toMatch(/only this host can find their VMs gone or orphaned.*at 127\.0\.0\.1, which they cannot reach/);
    expect(rows[1]?.hint).toContain('[boxes.docker] ssh_host');
    expect(sharedStoreChecks({ ...facts, dockerSshHost: '10.0.0.5' })[1]).toMatchObject({ status: 'warning', detail: expect.stringMatching(/at 10\.0\.0\.5$/) });
  });

  it('no local-driver warning for ssh-fleet or command; an error without a master key', () => {
    expect(sharedStoreChecks({ ...facts, driver: 'ssh-fleet' }).map((r) => r.name)).toEqual(['fleet identity']);
    expect(sharedStoreChecks({ ...facts, driver: 'command', masterKey: false })).toEqual([
      { name: 'fleet identity', status: 'error', detail: expect.stringContaining('no master key'), hint: expect.stringContaining('CAC_MASTER_KEY') },
    ]);
  });

  it('a master key file that cannot be loaded is an error saying why', () => {
    const rows = sharedStoreChecks({ ...facts, driver: 'ssh-fleet', masterKey: { problem: 'the master key file /k is accessible by group or others (mode 0644)', hint: 'chmod 600 /k' } });
    expect(rows).toEqual([{ name: 'fleet identity', status: 'error', detail: expect.stringMatching(/cannot be loaded: the master key file \/k is accessible/), hint: 'chmod 600 /k' }]);
  });
});
