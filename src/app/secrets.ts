// Master keys from the outside world: `[secrets] master_key_file` when configured (README), else
// $CAC_MASTER_KEY. Both list keys oldest first, newest last; the newest encrypts.
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CacError } from '../errors.js';
import { EncryptionService, looksLikeEnvelope } from '../core/secrets/envelope.js';
import { EnvInjector, notEncrypted } from '../core/provision/env.js';
import { noMasterKey, parseKeys, type KeyRing } from '../core/secrets/keys.js';
import { expandHome, hostHome, type Env } from '../util/paths.js';
import type { AppContext } from './context.js';

/** The EncryptionService for this command's config and environment. */
export async function encryptionFor(ctx: AppContext): Promise<EncryptionService> {
  const { config } = await ctx.config();
  return new EncryptionService(await loadKeyRing(ctx.env, config.secrets.master_key_file, ctx.configFile));
}

export async function loadKeyRing(env: Env, keyFile: string | undefined, configFile: string): Promise<KeyRing> {
  if (keyFile) return readKeyFile(keyFilePath(keyFile, env, configFile));
  const keys = (env.CAC_MASTER_KEY ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  if (keys.length === 0) throw noMasterKey();
  return parseKeys(keys, (i) => `key ${i + 1} of $CAC_MASTER_KEY`);
}

// `~` is the user's home; a relative path is relative to the config file that names it.
function keyFilePath(file: string, env: Env, configFile: string): string {
  const expanded = expandHome(file, hostHome(env));
  return isAbsolute(expanded) ? expanded : resolve(dirname(configFile), expanded);
}

async function readKeyFile(file: string): Promise<KeyRing> {
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new CacError('ERR_KEY_FILE', `cannot read the master key file ${file} (${e.code ?? e.message})`, {
      hint: "check [secrets] master_key_file; create a key with 'cac env keygen'",
    });
  });
  if ((info.mode & 0o077) !== 0) {
    throw new CacError('ERR_KEY_FILE_MODE', `the master key file ${file} is accessible by group or others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`, {
      hint: `chmod 600 ${file}`,
    });
  }
  const raw = await readFile(file);
  const lines = raw.toString('utf8').split('\n');
  raw.fill(0);
  const keys: { text: string; line: number }[] = [];
  lines.forEach((l, i) => {
    const text = l.trim();
    if (text !== '' && !text.startsWith('#')) keys.push({ text, line: i + 1 });
  });
  if (keys.length === 0) throw noMasterKey();
  return parseKeys(
    keys.map((k) => k.text),
    (i) => `line ${keys[i]?.line} of ${file}`,
  );
}

/**
 * The requester's encrypted .env for a box, from a file or a stream: checked to be an envelope (a
 * plaintext .env is refused and its bytes zeroed, never shown) that decrypts with the loaded keys, so a
 * bad payload fails before any box is claimed. Returns the envelope and the injector that writes it.
 */
export async function boxEnv(ctx: AppContext, raw: Buffer, what: string): Promise<{ envelope: string; injector: EnvInjector }> {
  const head = raw.subarray(0, 64).toString('utf8');
  if (!looksLikeEnvelope(head)) {
    raw.fill(0);
    throw notEncrypted(what);
  }
  const envelope = raw.toString('utf8').trim();
  const injector = new EnvInjector(await encryptionFor(ctx));
  await injector.check(envelope, what);
  return { envelope, injector };
}
