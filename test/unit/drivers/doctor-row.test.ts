// Doctor's `vm driver` row from the driver's probes.
import { describe, expect, it } from 'vitest';
import { vmDriverCheck } from '../../../src/core/doctor/vm-driver.js';

const up = (subject: string) => ({ subject, ok: true, detail: 'reachable with its pinned key, free' });
const downHost = (subject: string) => ({ subject, ok: false, detail: 'ssh: the host key is not the pinned one' });

describe('vmDriverCheck', () => {
  it('is ok when every probe passed', () => {
    expect(vmDriverCheck({ driver: 'ssh-fleet', probes: [up('cac@a:22'), up('cac@b:22')], partialIsWarning: true })).toEqual({
      name: 'vm driver',
      status: 'ok',
      detail: 'ssh-fleet: cac@a:22 reachable with its pinned key, free; cac@b:22 reachable with its pinned key, free',
    });
  });

  it('warns when some fleet hosts fail while one answers, and errors when none does', () => {
    const hint = 'check the host';
    expect(vmDriverCheck({ driver: 'ssh-fleet', probes: [up('cac@a:22'), downHost('cac@b:22')], partialIsWarning: true, hint })).toEqual({
      name: 'vm driver',
      status: 'warning',
      detail: 'ssh-fleet: 1 of 2 failed: cac@b:22: ssh: the host key is not the pinned one',
      hint,
    });
    expect(vmDriverCheck({ driver: 'ssh-fleet', probes: [downHost('cac@b:22')], partialIsWarning: true }).status).toBe('error');
  });

  it('errors on any failed plugin probe, and on a driver that cannot be set up', () => {
    const probes = [
      { subject: 'create', ok: true, detail: '/opt/p' },
      { subject: 'list', ok: false, detail: 'command plugin /opt/p (list) exited 1' },
    ];
    expect(vmDriverCheck({ driver: 'command', probes }).status).toBe('error');
    expect(vmDriverCheck({ driver: 'command', probes: [], problem: { detail: 'boxes.command: the command driver needs status', hint: 'set it' } })).toEqual({
      name: 'vm driver',
      status: 'error',
      detail: 'command: boxes.command: the command driver needs status',
      hint: 'set it',
    });
  });
});
