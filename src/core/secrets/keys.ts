// Master keys for the envelope encryption: parsing (never echoing a key) and short key ids for rotation.
import { createHash, randomBytes } from 'node:crypto';
import { CacError } from '../../errors.js';

/** AES-256 keys are 32 bytes. */
const KEY_BYTES = 32;

/** One master key and its short id. */
export interface MasterKey {
  /** First 8 hex chars of sha256(key): names the key in an envelope without revealing it. */
  id: string;
  key: Buffer;
}

/** Keys in rotation order: the LAST one is the newest and encrypts; any of them decrypts. */
export type KeyRing = readonly MasterKey[];

/** The envelope's key id for a key. */
export function keyIdOf(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** A fresh random master key, base64 (what `cac env keygen` prints). */
export function generateKey(): string {
  const key = randomBytes(KEY_BYTES);
  const text = key.toString('base64');
  key.fill(0);
  return text;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parse base64 keys (oldest first). `where(i)` names the i-th key in messages ("key 2 in $CAC_MASTER_KEY",
 * "line 3 of ~/.config/cac/master.key"); the key text itself never appears in an error.
 */
export function parseKeys(texts: readonly string[], where: (index: number) => string): KeyRing {
  const ring = texts.map((text, i) => {
    const key = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (key.length !== KEY_BYTES) {
      key.fill(0);
      throw new CacError('ERR_MASTER_KEY', `${where(i)} is not a master key (expected base64 of ${KEY_BYTES} bytes)`, {
        hint: "create one with 'cac env keygen'",
      });
    }
    return { id: keyIdOf(key), key };
  });
  if (ring.length === 0) throw noMasterKey();
  return ring;
}

export function noMasterKey(): CacError {
  return new CacError('ERR_NO_MASTER_KEY', 'no master key is configured', {
    hint: "create one with 'cac env keygen', then set $CAC_MASTER_KEY or [secrets] master_key_file (a 0600 file)",
  });
}
