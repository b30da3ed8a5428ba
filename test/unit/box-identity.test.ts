// The boxes' SSH identity: with a shared (Redis) store it is ONE fleet key pair for every host, kept in
// the store as an envelope under the master key; a host without the master key is told what is missing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { boxIdentity, FLEET_KEY_SECRET, fleetKeyPair } from '../../src/app/box-identity.js';
import { createContext } from '../../src/app/context.js';
import { EncryptionService } from '../../src/core/secrets/envelope.js';
import { generateKey, parseKeys } from '../../src/core/secrets/keys.js';
import { MemoryBoxStore } from '../fakes/boxes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A host: its own HOME (config and state dirs) with `toml` as its config. */
async function host(toml: string, env: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'cac-identity-'));
  dirs.push(home);
  mkdirSync(join(home, 'config', 'cac'), { recursive: true });
  writeFileSync(join(home, 'config', 'cac', 'config.toml'), toml);
  const stdio = {
    stdin: Readable.from([]),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    env: { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), ...env },
  };
  const ctx = await createContext(stdio, { json: false, quiet: true, verbose: false, color: false, config: undefined }, new AbortController().signal);
  return { ctx, config: (await ctx.config()).config };
}

const REDIS = '[store]\nurl = "redis://127.0.0.1:1/0"\n';
const masterKey = generateKey();

describe('the fleet SSH key of a shared store', () => {
  it('is made once and read back by every host holding the master key; the store keeps only its envelope', async () => {
    const store = new MemoryBoxStore();
    const a = await host(REDIS, { CAC_MASTER_KEY: masterKey });
    const b = await host(REDIS, { CAC_MASTER_KEY: masterKey });
    const fromA = await boxIdentity(a.ctx, a.config, store);
    const fromB = await boxIdentity(b.ctx, b.config, store);
    expect(fromB).toEqual(fromA);
    expect(fromA.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ cac$/);
    const stored = store.secrets.get(FLEET_KEY_SECRET) ?? '';
    expect(stored).toMatch(/^cac:v1:[0-9a-f]{8}:/);
    const body = fromA.privateKey.split('\n').slice(1, -2).join('');
    expect(stored).not.toContain(body.slice(0, 40));
  });

  it('two hosts making it at once end with one key', async () => {
    const store = new MemoryBoxStore();
    const enc = new EncryptionService(parseKeys([masterKey], () => 'test key'));
    const pairs = await Promise.all([fleetKeyPair(store, enc), fleetKeyPair(store, enc), fleetKeyPair(store, enc)]);
    expect(new Set(pairs.map((p) => p.publicKey)).size).toBe(1);
  });

  it('a host without the master key gets an error naming CAC_MASTER_KEY, and nothing is stored', async () => {
    const store = new MemoryBoxStore();
    const { ctx, config } = await host(REDIS);
    const error = await boxIdentity(ctx, config, store).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_NO_MASTER_KEY', message: expect.stringContaining('shared'), hint: expect.stringContaining('CAC_MASTER_KEY') });
    expect(store.secrets.size).toBe(0);
  });

  it('a host with another master key cannot read it (names the key it was encrypted with)', async () => {
    const store = new MemoryBoxStore();
    const a = await host(REDIS, { CAC_MASTER_KEY: masterKey });
    await boxIdentity(a.ctx, a.config, store);
    const b = await host(REDIS, { CAC_MASTER_KEY: generateKey() });
    await expect(boxIdentity(b.ctx, b.config, store)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_KEY' });
  });

  it('with the SQLite store (one host) the identity is the state dir key pair, no master key needed', async () => {
    const store = new MemoryBoxStore();
    const { ctx, config } = await host('');
    const identity = await boxIdentity(ctx, config, store);
    expect(identity).toMatchObject({ path: join(ctx.stateDir, 'ssh', 'id_ed25519') });
    expect(store.secrets.size).toBe(0);
  });
});
