import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EncryptionService, looksLikeEnvelope, parseEnvelope } from '../../../src/core/secrets/envelope.js';
import { keyIdOf, parseKeys, type KeyRing } from '../../../src/core/secrets/keys.js';
import type { CacError } from '../../../src/errors.js';

const ring = (...keys: Buffer[]): KeyRing => keys.map((key) => ({ id: keyIdOf(key), key }));
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const PLAIN = 'API_TOKEN=canary-3f9a1c77\nDB_URL="postgres://u:p@h/db"\n';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as CacError).code;
  }
  throw new Error('expected a throw');
}

// Flip one byte of the decoded body at `index` (iv: 0-11, tag: 12-27, ciphertext: 28+).
function tamper(envelope: string, index: number): string {
  const parts = envelope.split(':');
  const body = Buffer.from(parts[3] ?? '', 'base64');
  body[index] = (body[index] ?? 0) ^ 0x01;
  return [...parts.slice(0, 3), body.toString('base64')].join(':');
}

describe('EncryptionService', () => {
  it('round-trips bytes through a cac:v1 envelope named by the key id', () => {
    const svc = new EncryptionService(ring(k1));
    const env = svc.encrypt(Buffer.from(PLAIN));
    expect(env).toMatch(/^cac:v1:[0-9a-f]{8}:[A-Za-z0-9+/]+={0,2}$/);
    expect(env.split(':')[2]).toBe(keyIdOf(k1));
    expect(env).not.toContain('canary');
    expect(svc.decrypt(env).toString()).toBe(PLAIN);
  });

  it('uses a fresh iv for every envelope', () => {
    const svc = new EncryptionService(ring(k1));
    expect(svc.encrypt(Buffer.from(PLAIN))).not.toBe(svc.encrypt(Buffer.from(PLAIN)));
  });

  it('a key that is not loaded is ERR_UNKNOWN_KEY naming the ids, never the key', () => {
    const env = new EncryptionService(ring(k1)).encrypt(Buffer.from(PLAIN));
    const other = new EncryptionService(ring(k2));
    expect(() => other.decrypt(env)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_KEY', message: expect.stringContaining(keyIdOf(k1)) }));
    try {
      other.decrypt(env);
    } catch (e) {
      expect((e as CacError).hint).toMatch(/CAC_MASTER_KEY/);
      expect(JSON.stringify(e) + String(e)).not.toContain(k1.toString('base64'));
    }
  });

  it('a key id pointing at the wrong key fails authentication: ERR_DECRYPT', () => {
    const env = new EncryptionService(ring(k1)).encrypt(Buffer.from(PLAIN));
    const forged = env.replace(keyIdOf(k1), keyIdOf(k2));
    expect(codeOf(() => new EncryptionService(ring(k2)).decrypt(forged))).toBe('ERR_DECRYPT');
  });

  it.each([
    ['iv', 3],
    ['tag', 15],
    ['ciphertext', 30],
  ])('a tampered %s is ERR_DECRYPT without any plaintext in the message', (_part, index) => {
    const svc = new EncryptionService(ring(k1));
    const bad = tamper(svc.encrypt(Buffer.from(PLAIN)), index);
    try {
      svc.decrypt(bad);
      expect.unreachable();
    } catch (e) {
      expect((e as CacError).code).toBe('ERR_DECRYPT');
      expect((e as Error).message).not.toContain('canary');
    }
  });

  it('rotation: encrypts with the newest (last) key and decrypts older envelopes by id', () => {
    const old = new EncryptionService(ring(k1)).encrypt(Buffer.from('A=1\n'));
    const rotated = new EncryptionService(ring(k1, k2));
    expect(rotated.currentKeyId).toBe(keyIdOf(k2));
    const fresh = rotated.encrypt(Buffer.from('B=2\n'));
    expect(fresh.split(':')[2]).toBe(keyIdOf(k2));
    expect(rotated.decrypt(old).toString()).toBe('A=1\n');
    expect(rotated.decrypt(fresh).toString()).toBe('B=2\n');
    expect(codeOf(() => new EncryptionService(ring(k1)).decrypt(fresh))).toBe('ERR_UNKNOWN_KEY');
  });

  it('withDecrypted zeroes the plaintext after fn, also when fn throws', async () => {
    const svc = new EncryptionService(ring(k1));
    const env = svc.encrypt(Buffer.from(PLAIN));
    let seen: Buffer | undefined;
    const names = await svc.withDecrypted(env, (plain) => {
      seen = plain;
      return plain.toString().split('\n')[0];
    });
    expect(names).toBe('API_TOKEN=canary-3f9a1c77');
    expect(seen?.every((b) => b === 0)).toBe(true);
    await expect(
      svc.withDecrypted(env, (plain) => {
        seen = plain;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen?.every((b) => b === 0)).toBe(true);
  });

  it('refuses an empty ring with ERR_NO_MASTER_KEY', () => {
    expect(codeOf(() => new EncryptionService([]))).toBe('ERR_NO_MASTER_KEY');
  });
});

describe('envelope parsing', () => {
  const good = new EncryptionService(ring(k1)).encrypt(Buffer.from(PLAIN));
  it.each([
    ['plaintext', PLAIN, 'not a cac envelope'],
    ['empty', '', 'not a cac envelope'],
    ['another version', good.replace('cac:v1:', 'cac:v2:'), 'unsupported envelope version v2'],
    ['a malformed version', good.replace('cac:v1:', 'cac:vX:'), 'version field is malformed'],
    ['a malformed key id', good.replace(keyIdOf(k1), 'ZZZZZZZZ'), 'key id is malformed'],
    ['a non-base64 body', `cac:v1:${keyIdOf(k1)}:not base64!`, 'not base64'],
    ['a short body', `cac:v1:${keyIdOf(k1)}:AAAA`, 'too short'],
    ['extra fields', `${good}:x`, 'not a cac envelope'],
  ])('%s is ERR_ENVELOPE and the input is not echoed', (_name, text, why) => {
    try {
      parseEnvelope(text);
      expect.unreachable();
    } catch (e) {
      expect((e as CacError).code).toBe('ERR_ENVELOPE');
      expect((e as Error).message).toContain(why);
      expect((e as Error).message).not.toContain('canary');
      expect((e as CacError).hint).toContain('cac:v1:<keyId>:<base64>');
    }
  });

  it('accepts surrounding whitespace (a trailing newline from a file)', () => {
    expect(parseEnvelope(`${good}\n`).keyId).toBe(keyIdOf(k1));
  });

  it('looksLikeEnvelope spots envelopes of any version', () => {
    expect(looksLikeEnvelope(good)).toBe(true);
    expect(looksLikeEnvelope('cac:v9:x')).toBe(true);
    expect(looksLikeEnvelope(PLAIN)).toBe(false);
  });
});

describe('master keys', () => {
  it('parses base64 keys with sha256-prefix ids', () => {
    const parsed = parseKeys([k1.toString('base64'), k2.toString('base64')], (i) => `key ${i + 1}`);
    expect(parsed.map((k) => k.id)).toEqual([keyIdOf(k1), keyIdOf(k2)]);
    expect(parsed[1]?.key.equals(k2)).toBe(true);
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['not base64', 'this is not a key!!'],
  ])('a key that is %s is ERR_MASTER_KEY naming where, not what', (_n, text) => {
    try {
      parseKeys([k1.toString('base64'), text], (i) => `key ${i + 1} of $CAC_MASTER_KEY`);
      expect.unreachable();
    } catch (e) {
      expect((e as CacError).code).toBe('ERR_MASTER_KEY');
      expect((e as Error).message).toContain('key 2 of $CAC_MASTER_KEY');
      expect((e as Error).message).not.toContain(text);
    }
  });
});
