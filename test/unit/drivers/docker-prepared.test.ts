// The docker driver and a pool's prepared state, on a scripted docker CLI: a box of a prepared pool is
// created, seeded from the newest state (a `cp -a` in a throwaway container) and only then started; a
// failed copy removes the half-seeded container, warns, and makes the box the slow way; a box made to
// prepare a new state (unprepared) is never seeded.
import { describe, expect, it } from 'vitest';
import { DockerVmDriver } from '../../../src/adapters/vm/docker.js';
import type { ExecOptions, ExecResult, Host } from '../../../src/ports/host.js';

const ok = (stdout = ''): ExecResult => ({ exitCode: 0, stdout, stderr: '' });
const CONTAINER = JSON.stringify([{ Id: 'c1', Created: '2026-01-01T00:00:00Z', State: { Status: 'running', Running: true }, Config: { Labels: { 'cac.box': 'box_1', 'cac.pool': 'p#main' } } }]);
const VOLUMES = JSON.stringify([
  { Name: 'old', Labels: { 'cac.prepared.pool': 'p#main', 'cac.prepared.hash': 'aaaa', 'cac.prepared.at': '10' } },
  { Name: 'new', Labels: { 'cac.prepared.pool': 'p#main', 'cac.prepared.hash': 'bbbb', 'cac.prepared.at': '20' } },
  { Name: 'other', Labels: { 'cac.prepared.pool': 'q#main', 'cac.prepared.hash': 'cccc', 'cac.prepared.at': '30' } },
]);

class ScriptedDocker implements Host {
  readonly kind = 'local' as const;
  readonly calls: string[][] = [];
  seedFails = false;
  async exec(argv: readonly string[], _opts: ExecOptions = {}): Promise<ExecResult> {
    const args = argv.slice(1);
    this.calls.push(args);
    const [cmd, sub] = args;
    if (cmd === 'ps') return ok('');
    if (cmd === 'volume' && sub === 'ls') return ok('old\nnew\nother\n');
    if (cmd === 'volume' && sub === 'inspect') return ok(VOLUMES);
    if (cmd === 'run' && args.includes('--rm')) return this.seedFails ? { exitCode: 1, stdout: '', stderr: 'cp: no space left on device' } : ok();
    if (cmd === 'run' || cmd === 'create') return ok('c1\n');
    if (cmd === 'inspect') return ok(CONTAINER);
    return ok();
  }
  async putFiles(): Promise<void> {}
}

const spec = { boxId: 'box_1', poolKey: 'p#main', labels: {}, sshPublicKey: 'ssh-ed25519 AAAA' };

function driver(host: ScriptedDocker, warnings: string[] = []) {
  return new DockerVmDriver({ host, dockerPath: 'docker', env: {}, image: 'cac-test/box:bookworm', scope: { 'cac.store': 's1' }, warn: (m) => void warnings.push(m) });
}

const verbs = (host: ScriptedDocker) => host.calls.map((a) => (a[0] === 'run' && a.includes('--rm') ? 'seed' : a.slice(0, a[0] === 'volume' ? 2 : 1).join(' ')));

describe('docker driver: pools prepared ahead', () => {
  it("a box of a prepared pool: created, seeded read-only from the pool's newest state, then started", async () => {
    const host = new ScriptedDocker();
    await driver(host).create(spec, { idempotencyKey: 'k' });
    expect(verbs(host)).toEqual(['ps', 'volume ls', 'volume inspect', 'create', 'seed', 'start', 'inspect']);
    expect(host.calls.find((a) => a[0] === 'volume' && a[1] === 'ls')).toEqual(['volume', 'ls', '-q', '--filter', 'label=cac.prepared.pool', '--filter', 'label=cac.store=s1']);
    const seed = host.calls.find((a) => a.includes('--rm')) ?? [];
    expect(seed).toEqual([
      'run',
      '--rm',
      '--network',
      'none',
      '--volumes-from',
      'c1',
      '--mount',
      'type=volume,src=new,dst=/cac-prepared,readonly',
      '--entrypoint',
      'cp',
      'cac-test/box:bookworm',
      '-a',
      '--reflink=auto',
      '/cac-prepared/.',
      '/var/lib/docker/',
    ]);
  });

  it('a failed copy: the half-seeded container removed, a warning, the box made without the prepared state', async () => {
    const host = new ScriptedDocker();
    host.seedFails = true;
    const warnings: string[] = [];
    await driver(host, warnings).create(spec, { idempotencyKey: 'k' });
    expect(verbs(host)).toEqual(['ps', 'volume ls', 'volume inspect', 'create', 'seed', 'rm', 'ps', 'run', 'inspect']);
    expect(host.calls.find((a) => a[0] === 'rm')).toEqual(['rm', '-f', '-v', 'c1']);
    expect(warnings).toEqual([expect.stringMatching(/^the pool's prepared images \(new\) could not be copied into the box; it provisions without them: .*no space left on device/)]);
  });

  it('a box made to prepare a new state starts empty; plain SSH boxes have no prepared states', async () => {
    const host = new ScriptedDocker();
    await driver(host).create({ ...spec, unprepared: true }, { idempotencyKey: 'k' });
    expect(verbs(host)).toEqual(['ps', 'run', 'inspect']);
    expect(new DockerVmDriver({ host, dockerPath: 'docker', env: {}, image: 'i', innerDocker: false }).prepared).toBeUndefined();
  });

  it('lists the states of its scope with their pool, hash and time', async () => {
    expect(await driver(new ScriptedDocker()).prepared?.list()).toEqual([
      { poolKey: 'p#main', configHash: 'aaaa', preparedAt: 10, ref: 'old' },
      { poolKey: 'p#main', configHash: 'bbbb', preparedAt: 20, ref: 'new' },
      { poolKey: 'q#main', configHash: 'cccc', preparedAt: 30, ref: 'other' },
    ]);
  });
});
