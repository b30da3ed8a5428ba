// EncryptionService: AES-256-GCM envelopes for .env payloads.
//
// Layout (one ASCII line):  cac:v1:<keyId>:<base64( iv[12] | tag[16] | ciphertext )>
//   - `v1`     the format version; anything else is refused.
//   - keyId    8 hex chars = sha256(master key)[0..4]; picks the key out of the ring (rotation).
//   - iv       12 random bytes per envelope (the GCM nonce).
//   - tag      the 16-byte GCM authentication tag.
//   - The header `cac:v1:<keyId>` is the GCM additional data, so a swapped key id fails authentication.
// Decrypted bytes live in Buffers that callers zero (withDecrypted does it for them).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CacError } from '../../errors.js';
import { keyIdOf, noMasterKey, parseKeys, type KeyRing, type MasterKey } from './keys.js';

const PREFIX = 'cac';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[0-9a-f]{8}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A parsed `cac:v1` envelope: the key id, the GCM nonce and tag, the ciphertext. */
export interface Envelope {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** True when text looks like an envelope (any version), e.g. to refuse encrypting one twice. */
export function looksLikeEnvelope(text: string): boolean {
  return text.trimStart().startsWith(`${PREFIX}:v`);
}

/** Parse an envelope; errors say what is wrong but never quote the input (it may be a plaintext .env). */
export function parseEnvelope(text: string): Envelope {
  const parts = text.trim().split(':');
  if (parts.length !== 4 || parts[0] !== PREFIX) throw badEnvelope('it is not a cac envelope');
  const [, version = '', keyId = '', body = ''] = parts;
  if (version !== VERSION) {
    throw badEnvelope(/^v\d+$/.test(version) ? `unsupported envelope version ${version} (this cac reads ${VERSION})` : 'the version field is malformed');
  }
  if (!KEY_ID.test(keyId)) throw badEnvelope('the key id is malformed');
  if (!BASE64.test(body)) throw badEnvelope('the payload is not base64');
  const raw = Buffer.from(body, 'base64');
  if (raw.length <= IV_BYTES + TAG_BYTES) throw badEnvelope('the payload is too short');
  return { keyId, iv: raw.subarray(0, IV_BYTES), tag: raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES), ciphertext: raw.subarray(IV_BYTES + TAG_BYTES) };
}

function badEnvelope(why: string): CacError {
  return new CacError('ERR_ENVELOPE', `not a valid encrypted payload: ${why}`, {
    hint: "expected 'cac:v1:<keyId>:<base64>' as written by 'cac env encrypt'",
  });
}

const header = (keyId: string) => Buffer.from(`${PREFIX}:${VERSION}:${keyId}`);

/**
 * The master key(s) an EncryptionService takes: a key ring (oldest first, newest last), a base64 key string
 * (several comma-separated, as in $CAC_MASTER_KEY), or the 32 key bytes.
 */
export type MasterKeyInput = KeyRing | string | Uint8Array;

/** Encrypts `.env` payloads into envelopes and decrypts them, with a ring of master keys (rotation). */
export class EncryptionService {
  private readonly ring: KeyRing;

  /** ERR_NO_MASTER_KEY when no key is given; ERR_MASTER_KEY when one is not 32 bytes of base64. */
  constructor(masterKey: MasterKeyInput | undefined) {
    this.ring = keyRingOf(masterKey);
    if (this.ring.length === 0) throw noMasterKey();
  }

  /** The key that encrypts: the newest (last) one. */
  get currentKeyId(): string {
    return this.newest().id;
  }

  /** Encrypt bytes into an envelope with the newest key. */
  encrypt(plaintext: Uint8Array): string {
    const { id, key } = this.newest();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(header(id));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const body = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
    return `${PREFIX}:${VERSION}:${id}:${body}`;
  }

  /** Decrypt an envelope with the key its id names. The caller zeroes the returned Buffer. */
  decrypt(text: string): Buffer {
    const env = parseEnvelope(text);
    const key = this.ring.find((k) => k.id === env.keyId);
    if (!key) {
      throw new CacError('ERR_UNKNOWN_KEY', `the payload was encrypted with master key ${env.keyId}, which is not loaded (loaded: ${this.ring.map((k) => k.id).join(', ')})`, {
        hint: 'add that key to $CAC_MASTER_KEY or [secrets] master_key_file (older keys first, newest last)',
      });
    }
    return open(env, key);
  }

  /** Decrypt, hand the bytes to fn, and zero them afterwards whatever fn does. */
  async withDecrypted<T>(text: string, fn: (plaintext: Buffer) => T | Promise<T>): Promise<T> {
    const plain = this.decrypt(text);
    try {
      return await fn(plain);
    } finally {
      plain.fill(0);
    }
  }

  private newest(): MasterKey {
    return this.ring[this.ring.length - 1] as MasterKey;
  }
}

function open(env: Envelope, { id, key }: MasterKey): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, env.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(header(id));
  decipher.setAuthTag(env.tag);
  const body = decipher.update(env.ciphertext);
  try {
    const tail = decipher.final();
    const plain = Buffer.concat([body, tail]);
    tail.fill(0);
    return plain;
  } catch (e) {
    throw new CacError('ERR_DECRYPT', `cannot decrypt the payload with master key ${id}: it was tampered with or encrypted with another key`, {
      hint: "re-create it with 'cac env encrypt'",
      cause: e,
    });
  } finally {
    body.fill(0);
  }
}

/** The key ring of what the constructor was given; the key text never appears in an error. */
function keyRingOf(input: MasterKeyInput | undefined | null): KeyRing {
  if (input === undefined || input === null) throw noMasterKey();
  if (typeof input === 'string') {
    const keys = input
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
    return parseKeys(keys, (i) => `master key ${i + 1} given to EncryptionService`);
  }
  if (input instanceof Uint8Array) {
    if (input.length !== 32) {
      throw new CacError('ERR_MASTER_KEY', `the master key given to EncryptionService is not a master key (expected 32 bytes, got ${input.length})`, {
        hint: "create one with 'cac env keygen'",
      });
    }
    return [{ id: keyIdOf(input), key: Buffer.from(input) }];
  }
  return input;
}
