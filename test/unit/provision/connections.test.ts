// One SSH connection per box per process, and the ssh(1) command line of `cac box ssh`.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BoxConnections } from '../../../src/core/provision/connections.js';
import { knownHostsLine, sshArgs } from '../../../src/adapters/host/ssh-client.js';
import { isCacError } from '../../../src/errors.js';
import { FakeBoxHost, provisionHarness, TARGET } from '../../fakes/provision.js';

describe('BoxConnections', () => {
  it('opens one host per box, reuses it, closes it, and reopens after a close', async () => {
    const opened: FakeBoxHost[] = [];
    const conns = new BoxConnections(async (t) => {
      const h = new FakeBoxHost(t);
      opened.push(h);
      return h;
    });
    const h = provisionHarness();
    const a = await h.box();
    const b = await h.box();
    const [a1, a2, b1] = await Promise.all([conns.get(a), conns.get(a), conns.get(b)]);
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b1);
    expect(opened).toHaveLength(2);
    await conns.close(a.id);
    expect(opened[0]?.closed).toBe(1);
    await conns.get(a);
    expect(opened).toHaveLength(3);
    // a new SSH target (another host key) never reuses the old connection
    await conns.get({ ...b, sshTarget: { ...TARGET, hostKey: 'ssh-ed25519 OTHER' } });
    expect(opened).toHaveLength(4);
    await conns.closeAll();
    expect(opened.map((o) => o.closed)).toEqual([1, 1, 1, 1]);
  });

  it('a box without an SSH target is an error, and a failed open is not cached', async () => {
    let fail = true;
    const conns = new BoxConnections(async (t) => {
      if (fail) throw new Error('refused');
      return new FakeBoxHost(t);
    });
    const h = provisionHarness();
    const box = await h.box();
    const e = (() => {
      try {
        return conns.get({ ...box, sshTarget: null });
      } catch (x) {
        return x;
      }
    })();
    expect(isCacError(e) && e.code).toBe('ERR_BOX_NO_SSH');
    await expect(conns.get(box)).rejects.toThrow('refused');
    fail = false;
    await expect(conns.get(box)).resolves.toBeInstanceOf(FakeBoxHost);
  });
});

describe('cac box ssh: the ssh(1) arguments', () => {
  it('reads no ssh_config, pins the host key in its own known_hosts, strict checking, cac key only; a command is quoted for the remote shell', () => {
    const args = sshArgs(TARGET, '/state/ssh/id_ed25519', '/tmp/k/known_hosts', ['sh', '-c', 'echo "$HOME"; touch x'], false);
    expect(args).toEqual([
      '-F',
      '/dev/null',
      '-i',
      '/state/ssh/id_ed25519',
      '-p',
      '2201',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'UserKnownHostsFile=/tmp/k/known_hosts',
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'PasswordAuthentication=no',
      '-o',
      'LogLevel=ERROR',
      '--',
      'cac@127.0.0.1',
      `sh -c 'echo "$HOME"; touch x'`,
    ]);
    // the remote shell sees exactly the words given
    expect(execFileSync('sh', ['-c', `printf '[%s]' ${args.at(-1)?.replace(/^sh -c /, '')}`], { encoding: 'utf8' })).toBe('[echo "$HOME"; touch x]');
    expect(sshArgs(TARGET, 'k', 'kh', [], true)).not.toContain('-t');
    expect(sshArgs(TARGET, 'k', 'kh', ['top'], true)).toContain('-t');
  });

  it('writes known_hosts lines the way OpenSSH does', () => {
    expect(knownHostsLine(TARGET)).toBe('[127.0.0.1]:2201 ssh-ed25519 KEY-vm-1\n');
    expect(knownHostsLine({ ...TARGET, port: 22 })).toBe('127.0.0.1 ssh-ed25519 KEY-vm-1\n');
  });
});
