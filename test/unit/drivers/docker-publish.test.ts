// The docker driver publishes a box's SSH port on `[boxes.docker] ssh_host` and reads it back from
// `docker port`: hosts sharing a store log in to another host's boxes at that address.
import { describe, expect, it } from 'vitest';
import { publishedPort } from '../../../src/adapters/vm/docker.js';

describe('publishedPort', () => {
  it('finds the port bound on the configured address, not on another one', () => {
    const out = '0.0.0.0:49160\n127.0.0.1:49153\n[::1]:49170\n';
    expect(publishedPort(out, '127.0.0.1')).toBe('49153');
    expect(publishedPort(out, '0.0.0.0')).toBe('49160');
    expect(publishedPort(out, '::1')).toBe('49170');
    expect(publishedPort(out, '172.17.0.5')).toBeUndefined();
    expect(publishedPort('', '127.0.0.1')).toBeUndefined();
  });
});
