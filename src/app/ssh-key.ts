// cac's own SSH key pair, generated on first use in the state dir (0600); its public half goes to
// every VM driver at create. The public half is always derived from the private key, so a missing or
// stale `.pub` is rewritten instead of trusted.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

/** cac's SSH key pair: its private key, its OpenSSH public key line, and where it lives. */
export interface SshKeyPair {
  privateKey: string;
  publicKey: string;
  path: string;
}

// ssh2 is CommonJS: `utils` is on the default export only (no named ESM export)
const sshUtils = async () => (await import('ssh2')).default.utils;

type Generate = () => { private: string; public: string };

/**
 * A new ed25519 pair that ssh2 can read back. ssh2's generator drops leading zero bytes of the public
 * key, so about 1 pair in 256 does not parse (private or public half): such a pair is made again.
 */
export async function newKeyPair(generate?: Generate): Promise<{ private: string; public: string }> {
  const utils = await sshUtils();
  const make = generate ?? (() => utils.generateKeyPairSync('ed25519', { comment: 'cac' }));
  for (let i = 0; i < 16; i++) {
    const pair = make();
    const priv = utils.parseKey(pair.private);
    const pub = utils.parseKey(pair.public);
    const a = Array.isArray(priv) ? priv[0] : priv;
    const b = Array.isArray(pub) ? pub[0] : pub;
    if (a && b && !(a instanceof Error) && !(b instanceof Error) && a.getPublicSSH().equals(b.getPublicSSH())) return pair;
  }
  throw new CacError('ERR_SSH_KEY', 'could not make an SSH key pair that parses', { hint: 'run the command again' });
}

/** cac's SSH key pair in `stateDir`, generated on first use (0600). */
export async function ensureKeyPair(stateDir: string): Promise<SshKeyPair> {
  const dir = join(stateDir, 'ssh');
  const path = join(dir, 'id_ed25519');
  const existing = await readExisting(path);
  if (existing) return existing;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pair = await newKeyPair();
  try {
    // exclusive: two processes generating at once keep the first key
    await writeFileAtomic(path, pair.private, 0o600, { exclusive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const first = await readExisting(path);
    if (first) return first;
    throw new CacError('ERR_SSH_KEY', `cac's SSH key ${path} vanished while it was being made`, { hint: 'run the command again' });
  }
  await writeFileAtomic(`${path}.pub`, `${pair.public.trim()}\n`, 0o644);
  return { privateKey: pair.private, publicKey: pair.public.trim(), path };
}

/** The pair at `path` (its `.pub` rewritten when missing or stale); undefined when there is no private key. */
async function readExisting(path: string): Promise<SshKeyPair | undefined> {
  let privateKey: string;
  try {
    privateKey = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const publicKey = await publicKeyOf(privateKey, path);
  const written = await readFile(`${path}.pub`, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (written?.trim() !== publicKey) await writeFileAtomic(`${path}.pub`, `${publicKey}\n`, 0o644);
  return { privateKey, publicKey, path };
}

/** The OpenSSH public key line of a private key; ERR_SSH_KEY when it does not parse. */
export async function publicKeyOf(privateKey: string, path: string): Promise<string> {
  const parsed = (await sshUtils()).parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    const why = key instanceof Error ? key.message : 'no key in the file';
    throw new CacError('ERR_SSH_KEY', `cac's SSH key ${path} cannot be read: ${why}`, {
      hint: `remove ${path} and ${path}.pub to make a new pair (boxes made with the old key will refuse cac's logins)`,
    });
  }
  return `${key.type} ${key.getPublicSSH().toString('base64')} cac`;
}
