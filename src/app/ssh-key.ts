// cac's own SSH key pair, generated on first use in the state dir (0600); its public half goes to
// every VM driver at create.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';

export interface SshKeyPair {
  privateKey: string;
  publicKey: string;
  path: string;
}

export async function ensureKeyPair(stateDir: string): Promise<SshKeyPair> {
  const dir = join(stateDir, 'ssh');
  const path = join(dir, 'id_ed25519');
  try {
    return { privateKey: await readFile(path, 'utf8'), publicKey: (await readFile(`${path}.pub`, 'utf8')).trim(), path };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // ssh2 is CommonJS: `utils` is on the default export only (no named ESM export)
  const { utils } = (await import('ssh2')).default;
  const pair = utils.generateKeyPairSync('ed25519', { comment: 'cac' });
  try {
    // exclusive: two processes generating at once keep the first key
    await writeFileAtomic(path, pair.private, 0o600, { exclusive: true });
    await writeFile(`${path}.pub`, `${pair.public}\n`, { mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return ensureKeyPair(stateDir);
  }
  return { privateKey: pair.private, publicKey: pair.public.trim(), path };
}
