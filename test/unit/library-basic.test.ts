// The CodeAgentController Basic Usage through the library entry, as written: the short constructors, a cold
// request that returns at once and provisions in this process, a reconcile with the CLI's steps and lock,
// and bad input failing with the CLI's CacError codes. Nothing is printed.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AllocatorService, DefaultPoolManager, EncryptionService, EnvInjector, RedisAgentBoxStore, SshProvisioner, isCacError, openController } from '../../src/index.js';
import { FakeVmDriver, MemoryBoxStore } from '../fakes/boxes.js';
import { RecordingHost } from '../fakes/host.js';
import { REPO } from '../fakes/box.js';

const MASTER = randomBytes(32);
const masterKey = MASTER.toString('base64');

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isCacError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a CacError');
}

function basic() {
  const stateDir = mkdtempSync(join(tmpdir(), 'cac-lib-'));
  const store = new MemoryBoxStore();
  const vmManager = new FakeVmDriver();
  const envInjector = new EnvInjector({ encryption: new EncryptionService(masterKey) });
  const provisioner = new SshProvisioner({ executor: new RecordingHost(), envInjector, repoPath: '/home/agent/repo', stateDir });
  const allocator = new AllocatorService({ store, vmManager, provisioner });
  const poolManager = new DefaultPoolManager({ store, vmManager, allocator });
  return { stateDir, store, vmManager, envInjector, provisioner, allocator, poolManager };
}

// nothing the library does prints: every test fails if a byte reaches stdout or stderr
let writes: string[] = [];
beforeEach(() => {
  writes = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  expect(writes).toEqual([]);
});

describe('EncryptionService(masterKey)', () => {
  it('takes a base64 key, the 32 key bytes, or a key ring; they make the same envelopes', () => {
    const fromText = new EncryptionService(masterKey);
    const fromBytes = new EncryptionService(MASTER);
    const sealed = fromText.encrypt(Buffer.from('A=1\n'));
    expect(fromBytes.decrypt(sealed).toString()).toBe('A=1\n');
    expect(fromText.currentKeyId).toBe(fromBytes.currentKeyId);
    expect(new EncryptionService([{ id: fromText.currentKeyId, key: MASTER }]).decrypt(sealed).toString()).toBe('A=1\n');
  });

  it('a missing key is ERR_NO_MASTER_KEY, a bad one ERR_MASTER_KEY (as the CLI says), the key never in the message', async () => {
    expect(await codeOf(() => new EncryptionService(undefined))).toBe('ERR_NO_MASTER_KEY');
    expect(await codeOf(() => new EncryptionService(''))).toBe('ERR_NO_MASTER_KEY');
    expect(await codeOf(() => new EncryptionService(randomBytes(16)))).toBe('ERR_MASTER_KEY');
    const short = randomBytes(16).toString('base64');
    try {
      new EncryptionService(short);
    } catch (e) {
      expect([isCacError(e) && e.code, String(e)]).toEqual(['ERR_MASTER_KEY', expect.not.stringContaining(short)]);
    }
  });
});

describe('EnvInjector({ encryption })', () => {
  it('writes the decrypted .env through the host, never on its command line', async () => {
    const injector = new EnvInjector({ encryption: new EncryptionService(masterKey) });
    const host = new RecordingHost();
    await injector.write(host, '/home/agent/repo', new EncryptionService(MASTER).encrypt(Buffer.from('TOKEN=canary\n')));
    expect(host.calls.map((c) => c.argv.includes('/home/agent/repo'))).toEqual([true]);
    expect(JSON.stringify(host.calls.map((c) => c.argv))).not.toContain('canary');
  });
});

describe('the Basic Usage', () => {
  it('requestBox returns at once with a cold box; its pipeline runs in this process, with the checkout at repoPath', async () => {
    const { store, vmManager, allocator } = basic();
    const { box, warm } = await allocator.requestBox({ repoUrl: REPO, branch: 'main', requestedBy: 'ticket-123' });
    expect([warm, box.state, box.claimant]).toEqual([false, 'requested', 'ticket-123']);
    await allocator.idle();
    // the fake VM has no sshd: the in-process pipeline made the VM (with cac's public key), then failed at ssh_ready
    const done = await store.get(box.id);
    expect(done?.steps.map((s) => [s.name, s.ok])).toEqual([
      ['vm_create', true],
      ['ssh_ready', false],
    ]);
    expect(done?.state).toBe('failed');
    expect([...vmManager.vms.values()].map((v) => v.spec.sshPublicKey)).toEqual([expect.stringMatching(/^ssh-ed25519 \S+ cac$/)]);
  });

  it('a warm claim writes the encrypted payload through the executor, to repoPath, decrypted only on its stdin', async () => {
    const store = new MemoryBoxStore();
    const vmManager = new FakeVmDriver();
    const written: Array<{ target: string; argv: readonly string[]; stdin: string }> = [];
    // the function form of the executor: one Host per box's SSH target
    const executor = (target: { host: string; port: number }) => {
      const host = new RecordingHost('ssh');
      const exec = host.exec.bind(host);
      host.exec = async (argv, opts = {}) => {
        written.push({ target: `${target.host}:${target.port}`, argv, stdin: Buffer.from(opts.stdin as Uint8Array).toString() });
        return exec(argv, opts);
      };
      return host;
    };
    const envInjector = new EnvInjector({ encryption: new EncryptionService(masterKey) });
    const provisioner = new SshProvisioner({ executor, envInjector, repoPath: '/home/agent/repo', stateDir: mkdtempSync(join(tmpdir(), 'cac-lib-')) });
    const allocator = new AllocatorService({ store, vmManager, provisioner });
    const made = await store.createBox({ repoUrl: REPO, baseBranch: 'main', deadlineAt: Date.now() + 60_000, now: Date.now() }, { idempotencyKey: 'pool-1' });
    await store.transition(made.id, { from: 'requested', to: 'provisioning', now: Date.now() });
    const workspace = {
      folder: '/home/agent/repo',
      branch: 'main',
      configFile: '.devcontainer/devcontainer.json',
      cli: 'devcontainer',
      containerId: 'c1',
      remoteUser: 'dev',
      remoteWorkspaceFolder: '/workspaces/repo',
    };
    // provisioned just now at its branch head: the claim has nothing to bring up to date
    const commit = 'c0'.repeat(20);
    const head = { commit, behind: 0, at: Date.now() };
    await store.update(made.id, { patch: { vmRef: 'vm-x', sshTarget: { host: '127.0.0.1', port: 22, user: 'cac', hostKey: 'ssh-ed25519 K' }, workspace, commit, head }, now: Date.now() });
    await store.transition(made.id, { from: 'provisioning', to: 'standby', now: Date.now() });
    const envPayload = new EncryptionService(masterKey).encrypt(Buffer.from('TOKEN=canary\n'));
    const { box, warm } = await allocator.requestBox({ repoUrl: REPO, branch: 'main', requestedBy: 'ticket-123', envPayload });
    expect([warm, box.id, box.state, box.steps.map((s) => s.name)]).toEqual([true, made.id, 'ready', ['env']]);
    expect(written.map((w) => [w.target, w.argv.at(-1), w.stdin])).toEqual([['127.0.0.1:22', '/home/agent/repo', 'TOKEN=canary\n']]);
    expect(JSON.stringify(written.map((w) => w.argv))).not.toContain('canary');
    await provisioner.close();
  });

  it('reconcilePools fills the pool as `cac pool reconcile` does: lock, plan, create, the same steps', async () => {
    const { store, poolManager } = basic();
    const r = await poolManager.reconcilePools([{ repoUrl: REPO, baseBranch: 'main', minStandby: 2, maxInstances: 6 }]);
    expect(r.pools[0]?.plan.creates).toBe(2);
    expect(r.pools[0]?.applied?.provisioned.map((p) => p.outcome)).toEqual(['failed', 'failed']);
    const boxes = await store.list({});
    expect(boxes.map((b) => [b.claimant, b.steps.map((s) => s.name)])).toEqual([
      [null, ['vm_create', 'ssh_ready']],
      [null, ['vm_create', 'ssh_ready']],
    ]);
    // the lock was taken and released
    expect([...store.locks.keys()]).toEqual([]);
  });

  it('bad input fails with the CLI codes before any box is made', async () => {
    const { store, allocator } = basic();
    expect(await codeOf(allocator.requestBox({ repoUrl: 'ext::sh -c touch% /tmp/pwned', requestedBy: 'x' }))).toBe('ERR_INVALID_INPUT');
    expect(await codeOf(allocator.requestBox({ repoUrl: REPO, branch: 'main; rm -rf /', requestedBy: 'x' }))).toBe('ERR_INVALID_INPUT');
    expect(await codeOf(allocator.requestBox({ repoUrl: REPO, requestedBy: 'x', envPayload: 'TOKEN=plaintext\n' }))).toBe('ERR_INVALID_INPUT');
    const otherKey = new EncryptionService(randomBytes(32)).encrypt(Buffer.from('A=1\n'));
    expect(await codeOf(allocator.requestBox({ repoUrl: REPO, requestedBy: 'x', envPayload: otherKey }))).toBe('ERR_UNKNOWN_KEY');
    const noEnv = new AllocatorService({ store, vmManager: new FakeVmDriver(), provisioner: new SshProvisioner({ executor: new RecordingHost() }) });
    expect(await codeOf(noEnv.requestBox({ repoUrl: REPO, requestedBy: 'x', envPayload: otherKey }))).toBe('ERR_INVALID_INPUT');
    expect(await codeOf(async () => new SshProvisioner({ repoPath: 'a\nb' }))).toBe('ERR_INVALID_INPUT');
    expect(await store.list({})).toEqual([]);
  });

  it('RedisAgentBoxStore({ kv }) with an unreachable Redis fails its first call with ERR_STORE_UNREACHABLE; a non-URL is refused', async () => {
    const store = new RedisAgentBoxStore({ kv: 'redis://127.0.0.1:1/0' });
    expect(await codeOf(store.get('box_x'))).toBe('ERR_STORE_UNREACHABLE');
    await store.close();
    expect(await codeOf(async () => new RedisAgentBoxStore({ kv: 'http://127.0.0.1:6379' }))).toBe('ERR_INVALID_INPUT');
  });
});

describe('openController', () => {
  const stateDir = () => mkdtempSync(join(tmpdir(), 'cac-ctl-'));
  const env = { HOME: '/nonexistent', PATH: process.env.PATH ?? '' };

  it('wires the config as the CLI does: its pools, its store; bad input gets the CLI codes', async () => {
    const config = { pools: [{ repo_url: REPO, min_standby: 0, max_instances: 2 }] };
    const cac = await openController({ config, stateDir: stateDir(), env });
    try {
      expect(cac.pools).toEqual([{ repoUrl: REPO, baseBranch: 'main', minStandby: 0, maxInstances: 2 }]);
      expect(cac.vmManager.name).toBe('docker');
      expect(await codeOf(cac.allocator.requestBox({ repoUrl: 'not a repo', requestedBy: 'x' }))).toBe('ERR_INVALID_INPUT');
      const payload = new EncryptionService(masterKey).encrypt(Buffer.from('A=1\n'));
      // no key in the config or the environment: the CLI's ERR_NO_MASTER_KEY
      expect(await codeOf(cac.allocator.requestBox({ repoUrl: REPO, requestedBy: 'x', envPayload: payload }))).toBe('ERR_NO_MASTER_KEY');
      expect(await cac.store.list({})).toEqual([]);
    } finally {
      await cac.close();
    }
  });

  it('a bad config names the field (ERR_CONFIG_SCHEMA); an unreachable Redis is ERR_STORE_UNREACHABLE', async () => {
    expect(await codeOf(openController({ config: { boxes: { driver: 'k8s' } }, stateDir: stateDir(), env }))).toBe('ERR_CONFIG_SCHEMA');
    await openController({ config: { agents: { codex: { host_config_path: 5 } } }, stateDir: stateDir(), env }).catch((e) =>
      expect(String(e.message)).toBe('config: agents.codex.host_config_path: expected a path or an array of paths, got 5'),
    );
    expect(await codeOf(openController({ config: { store: { url: 'redis://127.0.0.1:1/0' } }, stateDir: stateDir(), env }))).toBe('ERR_STORE_UNREACHABLE');
  });
});
