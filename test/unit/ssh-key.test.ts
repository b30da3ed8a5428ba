// cac's own key pair: made once, reused, and a private key left without its .pub gets its public half back
// (it used to loop forever: the timeouts below are the guard).
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureKeyPair, newKeyPair } from '../../src/app/ssh-key.js';
import { isCacError } from '../../src/errors.js';

const dirs: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cac-key-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('ensureKeyPair', () => {
  it('makes a pair on first use (private 0600) and returns the same pair afterwards', { timeout: 10_000 }, async () => {
    const dir = stateDir();
    const first = await ensureKeyPair(dir);
    expect(first.publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ cac$/);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${first.path}.pub`, 'utf8')).toBe(`${first.publicKey}\n`);
    expect(await ensureKeyPair(dir)).toEqual(first);
  });

  it('rebuilds a missing .pub from the private key instead of looping', { timeout: 10_000 }, async () => {
    const dir = stateDir();
    const made = await ensureKeyPair(dir);
    unlinkSync(`${made.path}.pub`);
    const again = await ensureKeyPair(dir);
    expect(again).toEqual(made);
    expect(readFileSync(`${made.path}.pub`, 'utf8')).toBe(`${made.publicKey}\n`);
  });

  it('rewrites a .pub that does not belong to the private key', { timeout: 10_000 }, async () => {
    const dir = stateDir();
    const made = await ensureKeyPair(dir);
    const other = await ensureKeyPair(stateDir());
    writeFileSync(`${made.path}.pub`, `${other.publicKey}\n`);
    expect((await ensureKeyPair(dir)).publicKey).toBe(made.publicKey);
    expect(readFileSync(`${made.path}.pub`, 'utf8')).toBe(`${made.publicKey}\n`);
  });

  it('fails clearly (ERR_SSH_KEY, naming the file) on a private key that does not parse', { timeout: 10_000 }, async () => {
    const dir = stateDir();
    mkdirSync(join(dir, 'ssh'), { recursive: true, mode: 0o700 });
    const path = join(dir, 'ssh', 'id_ed25519');
    writeFileSync(path, 'not a key\n', { mode: 0o600 });
    const error = await ensureKeyPair(dir).catch((e: unknown) => e);
    expect(isCacError(error) && error.code).toBe('ERR_SSH_KEY');
    expect(String((error as Error).message)).toContain(path);
    expect(readFileSync(path, 'utf8')).toBe('not a key\n'); // never overwritten
  });
});

describe('newKeyPair: ssh2 makes about 1 ed25519 pair in 256 that it cannot parse back', () => {
  it('every pair it returns parses (2,000 real pairs: without the check, ~8 would not)', { timeout: 60_000 }, async () => {
    const { utils } = (await import('ssh2')).default;
    for (let i = 0; i < 2000; i++) {
      const pair = await newKeyPair();
      expect(utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
    }
  });

  it('makes a pair again when the first does not parse, and gives up with ERR_SSH_KEY', async () => {
    const { utils } = (await import('ssh2')).default;
    const good = utils.generateKeyPairSync('ed25519');
    const broken = { private: good.private.replace(/[A-Za-z0-9+/]{20}(?=\n)/, 'AAAAAAAAAAAAAAAAAAAA'), public: 'ssh-ed25519 AAAA' };
    const made = [broken, good];
    expect(await newKeyPair(() => made.shift() ?? good)).toBe(good);
    const e = await newKeyPair(() => broken).catch((x: unknown) => x);
    expect(isCacError(e) && e.code).toBe('ERR_SSH_KEY');
  });
});
