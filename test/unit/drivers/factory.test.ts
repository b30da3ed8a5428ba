// The one VM driver factory: the driver named in config, or an error that lists the valid values.
import { describe, expect, it } from 'vitest';
import { LocalHost } from '../../../src/adapters/host/local.js';
import { createVmDriver } from '../../../src/app/drivers.js';
import type { Config } from '../../../src/config/schema.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { isCacError } from '../../../src/errors.js';
import { MemoryBoxStore } from '../../fakes/boxes.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const deps = { host: new LocalHost(), env: { HOME: '/home/me', PATH: '/usr/bin' }, stateDir: '/nonexistent/state', store: new MemoryBoxStore() };
const withBoxes = (boxes: Partial<Config['boxes']>): Config => {
  const c = defaultConfig();
  return { ...c, boxes: { ...c.boxes, ...boxes } };
};
const failure = async (config: Config, d = deps): Promise<[string, string, string | undefined]> => {
  const e = await createVmDriver(config, d).then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isCacError(e)) throw new Error('expected a CacError');
  return [e.code, e.message, e.hint];
};

describe('createVmDriver', () => {
  it('makes each driver by its config name', async () => {
    expect((await createVmDriver(defaultConfig(), deps)).name).toBe('docker');
    const fleet = [{ host: '10.0.0.5', port: 22, user: 'cac', host_key: KEY, labels: [] }];
    expect((await createVmDriver(withBoxes({ driver: 'ssh-fleet', fleet }), deps)).name).toBe('ssh-fleet');
    const command = { create: '~/p create', destroy: '/opt/p destroy', list: '/opt/p list', status: "/opt/p 'status'", timeout: '30s' };
    expect((await createVmDriver(withBoxes({ driver: 'command', command }), deps)).name).toBe('command');
  });

  it('lists the valid drivers for an unknown one', async () => {
    const config = withBoxes({ driver: 'kvm' as Config['boxes']['driver'] });
    expect(await failure(config)).toEqual(['ERR_CONFIG_SCHEMA', '[boxes] driver: unknown driver "kvm"', 'valid drivers: docker, ssh-fleet, command']);
  });

  it('names what the ssh-fleet and command drivers miss', async () => {
    expect((await failure(withBoxes({ driver: 'ssh-fleet' })))[1]).toBe('boxes.fleet: the ssh-fleet driver needs at least one [[boxes.fleet]] host');
    expect((await failure(withBoxes({ driver: 'command' })))[1]).toBe('boxes.command: the command driver needs create, destroy, list, status');
    const partial = { create: '/opt/p create', list: '/opt/p list', timeout: '5m' };
    expect((await failure(withBoxes({ driver: 'command', command: partial })))[1]).toBe('boxes.command: the command driver needs destroy, status');
    const piped = { create: '/opt/p create | tee log', destroy: 'd', list: 'l', status: 's', timeout: '5m' };
    expect(await failure(withBoxes({ driver: 'command', command: piped }))).toEqual([
      'ERR_CONFIG_SCHEMA',
      '[boxes.command] create: cannot split the command "/opt/p create | tee log": unquoted | needs a shell',
      'write the command like a shell command line, without pipes or variables',
    ]);
  });
});
