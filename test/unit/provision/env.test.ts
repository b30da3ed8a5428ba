// EnvInjector and the .env of `box request --env-file`: the plaintext goes only into the SSH exec's stdin
// (never argv, env, the store, an error), after the warm claim; bad payloads fail before any claim.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AllocatorService } from '../../../src/core/boxes/allocator.js';
import { EnvInjector } from '../../../src/core/provision/env.js';
import { EncryptionService } from '../../../src/core/secrets/envelope.js';
import { generateKey, parseKeys } from '../../../src/core/secrets/keys.js';
import { isCacError } from '../../../src/errors.js';
import { FakeVmDriver } from '../../fakes/boxes.js';
import { SqliteAgentBoxStore } from '../../../src/adapters/store/sqlite.js';
import { runInProcess, tempHome } from '../../helpers/run-cli.js';
import { FAKE_COMMIT, FakeBoxHost, provisionHarness, TARGET } from '../../fakes/provision.js';

const CANARY = 'canary-7f3a9c2e41';
const PLAIN = `API_TOKEN=${CANARY}\nQUOTED="a b"\n`;

function service(key = generateKey()) {
  return { key, enc: new EncryptionService(parseKeys([key], () => 'test key')) };
}

describe('EnvInjector', () => {
  it('sends the plaintext only as stdin of one exec, never in argv or env; the decrypted buffer is zeroed', async () => {
    const { enc } = service();
    const envelope = enc.encrypt(Buffer.from(PLAIN));
    let seen: Buffer | undefined;
    const spy = { withDecrypted: <T>(e: string, fn: (p: Buffer) => T | Promise<T>) => enc.withDecrypted(e, (p) => ((seen = p), fn(p))) };
    const host = new FakeBoxHost(TARGET);
    await new EnvInjector(spy).write(host, '/home/cac/cac/box_x/app', envelope);
    expect(host.calls).toHaveLength(1);
    const [call] = host.calls;
    expect(call?.what).toBe('write-env');
    expect(call?.stdin).toBe(PLAIN);
    expect(JSON.stringify(call?.argv)).not.toContain(CANARY);
    expect(JSON.stringify(call?.env)).not.toContain(CANARY);
    expect(call?.argv.slice(3)).toEqual(['sh', '/home/cac/cac/box_x/app']);
    expect(seen?.every((b) => b === 0)).toBe(true);
  });

  it('a failed write names the folder and the failing command, never the payload', async () => {
    const { enc } = service();
    const host = new FakeBoxHost(TARGET);
    host.answer = () => ({ exitCode: 1, stdout: '', stderr: 'mv: cannot move: Read-only file system' });
    const e = await new EnvInjector(enc).write(host, '/ro/app', enc.encrypt(Buffer.from(PLAIN))).catch((x: unknown) => x);
    expect(isCacError(e) && [e.code, e.message]).toEqual(['ERR_ENV_WRITE', 'writing .env into /ro/app on the box failed (exit 1): mv: cannot move: Read-only file system']);
    expect(JSON.stringify(e)).not.toContain(CANARY);
  });

  it('a warm claim writes the .env after the claim (no cold start); the store never holds the payload', async () => {
    const { enc } = service();
    const envelope = enc.encrypt(Buffer.from(PLAIN));
    const h = provisionHarness({ env: new EnvInjector(enc) });
    const box = await h.box();
    await h.store.transition(box.id, { from: 'requested', to: 'provisioning', now: h.clock.now() });
    const ws = { folder: `/home/cac/cac/${box.id}/app`, branch: 'main', configFile: 'x', cli: 'devcontainer', containerId: 'c1', remoteUser: 'dev', remoteWorkspaceFolder: '/workspaces/app' };
    // at its branch head as of now: the claim has nothing to bring up to date
    const head = { commit: FAKE_COMMIT, behind: 0, at: h.clock.now() };
    await h.store.transition(box.id, { from: 'provisioning', to: 'standby', patch: { workspace: ws, commit: FAKE_COMMIT, head }, now: h.clock.now() });
    const statesAtWrite: string[] = [];
    const host = (await h.connections.get(h.store.box(box.id))) as FakeBoxHost;
    host.answer = (c) => void (c.what === 'write-env' && statesAtWrite.push(h.store.box(box.id).state));
    const alloc = new AllocatorService({ store: h.store, driver: new FakeVmDriver(), afterClaim: h.provisioner.afterClaim(), now: h.clock.now, startProvisioning: async () => undefined });
    const grant = await alloc.requestBox({ repoUrl: box.repoUrl, requestedBy: 'bob', envPayload: envelope });
    expect(grant).toMatchObject({ warm: true, box: { id: box.id, state: 'ready' } });
    expect(statesAtWrite).toEqual(['claimed']);
    expect(grant.box.steps.map((s) => s.name)).toEqual(['env']);
    expect(host.ran('write-env')[0]?.stdin).toBe(PLAIN);
    expect(JSON.stringify([...h.store.boxes.values()])).not.toContain(CANARY);
    expect(JSON.stringify([...h.store.boxes.values()])).not.toContain(envelope);
  });
});

describe('box request --env-file: bad payloads fail before anything is claimed or created', () => {
  function home(config = '') {
    const { env } = tempHome();
    mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME, 'cac', 'config.toml'), config);
    return env;
  }
  const request = (env: Record<string, string>, file: string, extra: Record<string, string> = {}) =>
    runInProcess(['box', 'request', '--repo', 'file:///srv/app', '--env-file', file], { ...env, ...extra });

  it('a plaintext .env is refused (exit 2) and never echoed', async () => {
    const env = home();
    const file = join(env.HOME, '.env');
    writeFileSync(file, PLAIN);
    const r = await request(env, file, { CAC_MASTER_KEY: generateKey() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error: --env-file: ${file} is not an encrypted payload`);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    expect(existsSync(join(env.XDG_STATE_HOME, 'cac', 'boxes.db'))).toBe(false);
  });

  it('an envelope of another key, no key, or [boxes] provision = "vm" fail without opening the store', async () => {
    const env = home();
    const file = join(env.HOME, '.env.cac');
    writeFileSync(file, `${service().enc.encrypt(Buffer.from(PLAIN))}\n`);
    const other = await request(env, file, { CAC_MASTER_KEY: generateKey() });
    expect([other.exitCode, other.stderr.split('\n')[0]]).toEqual([1, expect.stringMatching(/^error: the payload was encrypted with master key [0-9a-f]{8}, which is not loaded/)]);
    const none = await request(env, file);
    expect(none.stderr).toContain('error: no master key is configured');
    const vm = await request(home('[boxes]\nprovision = "vm"\n'), file);
    expect([vm.exitCode, vm.stderr.split('\n')[0]]).toEqual([2, 'error: --env-file: boxes get no .env with [boxes] provision = "vm" (there is no checkout to write it into)']);
    for (const r of [other, none, vm]) expect(r.stdout + r.stderr).not.toContain(CANARY);
    expect(existsSync(join(env.XDG_STATE_HOME, 'cac', 'boxes.db'))).toBe(false);
  });

  it('a worker handed an unusable payload on stdin fails its box at once (its requester may be waiting)', async () => {
    const env = home();
    const store = new SqliteAgentBoxStore(join(env.XDG_STATE_HOME, 'cac', 'boxes.db'));
    const box = await store.createBox({ repoUrl: 'file:///srv/app', baseBranch: 'main', claimant: 'bob', deadlineAt: Date.now() + 60_000, now: Date.now() }, { idempotencyKey: 'w' });
    const r = await runInProcess(['box', '_provision', box.id, '--env-stdin'], { ...env, CAC_MASTER_KEY: generateKey() }, PLAIN);
    expect(r.exitCode).toBe(2);
    expect(await store.get(box.id)).toMatchObject({ state: 'failed', error: 'env: the .env payload on stdin is not an encrypted payload' });
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    await store.close();
  });
});
