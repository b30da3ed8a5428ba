// The ssh-fleet driver's choices (which host a box gets, what is skipped and why, what destroy touches),
// with leases in memory and each "host" a home folder on this machine: the driver's real scripts run in
// a real sh there, with `docker` and `sudo` faked on PATH (they fail: no engine to clean).
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fleetHosts } from '../../../src/adapters/vm/fleet-hosts.js';
import { SshFleetVmDriver } from '../../../src/adapters/vm/ssh-fleet.js';
import type { SshTarget } from '../../../src/domain/box.js';
import { CacError, isCacError } from '../../../src/errors.js';
import type { ExecResult } from '../../../src/ports/host.js';
import { MemoryBoxStore } from '../../fakes/boxes.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBLDkNIdqMQZS6BHDHm3KXSqleJ71WXFsKL/tTtkXBPa';
const PUB = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDcacpublickeyforunittestsonlyxxxxxxxxxxxxx cac';
const spec = (boxId: string) => ({ boxId, poolKey: 'https://x/r.git#main', labels: { 'cac.test-run': 'unit' }, sshPublicKey: PUB });

let root: string;
let down: Set<string>;
let leases: MemoryBoxStore;
let clock: number;

/** Runs the script in sh with HOME = the host's folder; a host in `down` refuses the connection. */
function fakeRun(target: SshTarget, script: string): Promise<ExecResult> {
  if (down.has(target.host)) return Promise.reject(new CacError('ERR_SSH_CONNECT', `ssh cac@${target.host}: connect ECONNREFUSED`));
  const home = join(root, target.host);
  mkdirSync(home, { recursive: true });
  return new Promise((resolve) => {
    execFile('sh', ['-c', script], { env: { HOME: home, PATH: `${join(root, 'bin')}:/usr/bin:/bin` } }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

function driver(hosts = ['h1', 'h2', 'h3']): SshFleetVmDriver {
  const specs = fleetHosts(hosts.map((host) => ({ host, port: 22, user: 'cac', host_key: KEY, labels: [] })));
  return new SshFleetVmDriver({ hosts: specs, leases, privateKey: async () => 'unused', run: fakeRun, now: () => clock, scope: { 'cac.store': 's1' } });
}

const stateOf = (host: string) => JSON.parse(readFileSync(join(root, host, '.cac/box.json'), 'utf8')) as { boxId: string; createdAt: number; labels: Record<string, string> };
const errorOf = async (p: Promise<unknown>): Promise<CacError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isCacError(e)) throw new Error(`expected a CacError, got ${String(e)}`);
  return e;
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'cac-fleet-unit-'));
  mkdirSync(join(root, 'bin'));
  for (const fake of ['docker', 'sudo']) {
    writeFileSync(join(root, 'bin', fake), '#!/bin/sh\nexit 1\n');
    chmodSync(join(root, 'bin', fake), 0o755);
  }
  down = new Set();
  leases = new MemoryBoxStore();
  clock = 1_000;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('SshFleetVmDriver: choosing a host', () => {
  it('leases the first host, leaves a state file and authorizes cac key there, and is idempotent', async () => {
    const d = driver();
    const vm = await d.create(spec('box_a'), { idempotencyKey: 'k-a' });
    expect(vm).toEqual({ vmRef: 'cac@h1:22#box_a', boxId: 'box_a', poolKey: 'https://x/r.git#main', createdAt: 1_000, state: 'running' });
    expect(stateOf('h1')).toMatchObject({ boxId: 'box_a', createdAt: 1_000, labels: { 'cac.test-run': 'unit', 'cac.store': 's1' } });
    expect(readFileSync(join(root, 'h1/.ssh/authorized_keys'), 'utf8')).toBe(`${PUB}\n`);
    clock = 2_000;
    expect(await d.create(spec('box_a'), { idempotencyKey: 'k-a' })).toEqual(vm);
    expect(readFileSync(join(root, 'h1/.ssh/authorized_keys'), 'utf8')).toBe(`${PUB}\n`);
    expect((await d.create(spec('box_b'), { idempotencyKey: 'k-b' })).vmRef).toBe('cac@h2:22#box_b');
    expect(await d.sshTarget(vm)).toEqual({ host: 'h1', port: 22, user: 'cac', hostKey: KEY });
  });

  it('marks a host that does not let us in unhealthy, frees it and takes the next one', async () => {
    down.add('h1');
    const vm = await driver().create(spec('box_a'), { idempotencyKey: 'k' });
    expect(vm.vmRef).toBe('cac@h2:22#box_a');
    expect(leases.fleet.get('cac@h1:22')).toEqual({ hostId: 'cac@h1:22', boxId: null, leasedAt: null, healthy: false, reason: 'ssh cac@h1: connect ECONNREFUSED' });
    // skipped from now on, without another login
    expect((await driver().create(spec('box_b'), { idempotencyKey: 'k2' })).vmRef).toBe('cac@h3:22#box_b');
  });

  it('skips a host that carries another box (an orphan) without calling it unhealthy', async () => {
    mkdirSync(join(root, 'h1/.cac'), { recursive: true });
    writeFileSync(join(root, 'h1/.cac/box.json'), JSON.stringify({ boxId: 'box_lost', createdAt: 5, labels: {} }));
    const vm = await driver().create(spec('box_a'), { idempotencyKey: 'k' });
    expect(vm.vmRef).toBe('cac@h2:22#box_a');
    expect(leases.fleet.get('cac@h1:22')).toMatchObject({ boxId: null, healthy: true });
    expect(stateOf('h1').boxId).toBe('box_lost');
  });

  it('reports ERR_NO_CAPACITY with the counts and what it skipped', async () => {
    const d = driver(['h1', 'h2']);
    await d.create(spec('box_a'), { idempotencyKey: 'a' });
    down.add('h2');
    const e = await errorOf(d.create(spec('box_b'), { idempotencyKey: 'b' }));
    expect([e.code, e.message]).toEqual(['ERR_NO_CAPACITY', 'no free fleet host: 2 configured, 1 leased, 1 unhealthy']);
    expect(e.hint).toBe('skipped now: cac@h2:22: ssh cac@h2: connect ECONNREFUSED');
    expect(await errorOf(d.create(spec('box_c'), { idempotencyKey: 'c' }))).toMatchObject({ code: 'ERR_NO_CAPACITY' });
  });

  it('gives 3 hosts to exactly 3 of 12 concurrent creates', async () => {
    const d = driver();
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => d.create(spec(`box_${i}`), { idempotencyKey: `k${i}` })));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.vmRef.split('#')[0]] : []));
    expect(won.sort()).toEqual(['cac@h1:22', 'cac@h2:22', 'cac@h3:22']);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as CacError).code).toBe('ERR_NO_CAPACITY');
  });

  it('refuses a box id that could escape its folder', async () => {
    expect(await errorOf(driver().create(spec('../x'), { idempotencyKey: 'k' }))).toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });
});

describe('SshFleetVmDriver: listing and destroying', () => {
  it('lists leases and orphans, and a host that answers again is healthy again', async () => {
    const d = driver();
    await d.create(spec('box_a'), { idempotencyKey: 'a' });
    mkdirSync(join(root, 'h2/.cac'), { recursive: true });
    writeFileSync(join(root, 'h2/.cac/box.json'), JSON.stringify({ boxId: 'box_lost', poolKey: 'p', createdAt: 5, labels: { 'cac.store': 's1' } }));
    await leases.setFleetHostHealth('cac@h3:22', false, 'was down');
    const vms = await d.list();
    expect(vms.map((v) => [v.vmRef, v.boxId, v.createdAt, v.state])).toEqual([
      ['cac@h1:22#box_a', 'box_a', 1_000, 'running'],
      ['cac@h2:22#box_lost', 'box_lost', 5, 'running'],
    ]);
    expect(leases.fleet.get('cac@h3:22')?.healthy).toBe(true);
    down.add('h1');
    expect((await d.list()).map((v) => [v.vmRef, v.state])).toContainEqual(['cac@h1:22#box_a', 'stopped']);
    expect(leases.fleet.get('cac@h1:22')).toMatchObject({ healthy: false, boxId: 'box_a' });
  });

  it('destroy removes the work folder and state file, frees the host, and is idempotent', async () => {
    const d = driver();
    const vm = await d.create(spec('box_a'), { idempotencyKey: 'a' });
    mkdirSync(join(root, 'h1/cac/box_a/repo'), { recursive: true });
    mkdirSync(join(root, 'h1/cac/box_keep'), { recursive: true });
    await d.destroy(vm.vmRef);
    expect(existsSync(join(root, 'h1/cac/box_a'))).toBe(false);
    expect(existsSync(join(root, 'h1/cac/box_keep'))).toBe(true);
    expect(existsSync(join(root, 'h1/.cac/box.json'))).toBe(false);
    expect(leases.fleet.get('cac@h1:22')?.boxId).toBeNull();
    await d.destroy(vm.vmRef);
    expect(await d.get(vm.vmRef)).toBeUndefined();
  });

  it('a late destroy of an old box never touches the box that has the host now', async () => {
    const d = driver(['h1']);
    const old = await d.create(spec('box_old'), { idempotencyKey: 'o' });
    await d.destroy(old.vmRef);
    const now = await d.create(spec('box_new'), { idempotencyKey: 'n' });
    mkdirSync(join(root, 'h1/cac/box_new'), { recursive: true });
    await d.destroy(old.vmRef);
    expect(stateOf('h1').boxId).toBe('box_new');
    expect(existsSync(join(root, 'h1/cac/box_new'))).toBe(true);
    expect(await d.get(now.vmRef)).toMatchObject({ boxId: 'box_new', state: 'running' });
    expect(await d.get(old.vmRef)).toBeUndefined();
  });

  it('a destroy that cannot reach the host keeps the lease (reconcile retries)', async () => {
    const d = driver(['h1']);
    const vm = await d.create(spec('box_a'), { idempotencyKey: 'a' });
    down.add('h1');
    expect(await errorOf(d.destroy(vm.vmRef))).toMatchObject({ code: 'ERR_VM_DESTROY' });
    expect(leases.fleet.get('cac@h1:22')?.boxId).toBe('box_a');
  });
});
