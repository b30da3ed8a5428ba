import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyRing } from '../../../src/app/secrets.js';
import { keyIdOf } from '../../../src/core/secrets/keys.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const b64 = (k: Buffer) => k.toString('base64');

function keyFile(text: string, mode: number, name = 'master.key'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cac-keys-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return { dir, file };
}

describe('loading master keys', () => {
  it('$CAC_MASTER_KEY: comma separated, oldest first, newest last', async () => {
    const ring = await loadKeyRing({ CAC_MASTER_KEY: ` ${b64(k1)} , ${b64(k2)},` }, undefined, '/nowhere/config.toml');
    expect(ring.map((k) => k.id)).toEqual([keyIdOf(k1), keyIdOf(k2)]);
  });

  it('the key file wins over $CAC_MASTER_KEY; one key a line, blanks and # comments skipped', async () => {
    const { file } = keyFile(`# rotated 2024\n${b64(k1)}\n\n${b64(k2)}\n`, 0o600);
    const ring = await loadKeyRing({ CAC_MASTER_KEY: b64(randomBytes(32)) }, file, '/nowhere/config.toml');
    expect(ring.map((k) => k.id)).toEqual([keyIdOf(k1), keyIdOf(k2)]);
  });

  it('expands ~ against $HOME and resolves relative paths against the config dir', async () => {
    const { dir } = keyFile(b64(k1), 0o600);
    mkdirSync(join(dir, 'cfg'));
    expect((await loadKeyRing({ HOME: dir }, '~/master.key', '/x/config.toml'))[0]?.id).toBe(keyIdOf(k1));
    expect((await loadKeyRing({}, '../master.key', join(dir, 'cfg/config.toml')))[0]?.id).toBe(keyIdOf(k1));
  });

  it.each([0o640, 0o604, 0o660, 0o644])('refuses a key file with mode %s: ERR_KEY_FILE_MODE with a chmod hint', async (mode) => {
    const { file } = keyFile(b64(k1), mode);
    await expect(loadKeyRing({}, file, '/x/config.toml')).rejects.toMatchObject({
      code: 'ERR_KEY_FILE_MODE',
      hint: `chmod 600 ${file}`,
    });
  });

  it('a bad line names its line number, never the text', async () => {
    const { file } = keyFile(`${b64(k1)}\n# note\nnot-a-key-canary\n`, 0o600);
    const err = await loadKeyRing({}, file, '/x/config.toml').catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'ERR_MASTER_KEY', message: expect.stringContaining(`line 3 of ${file}`) });
    expect((err as Error).message).not.toContain('canary');
  });

  it('no keys at all is ERR_NO_MASTER_KEY; a missing file is ERR_KEY_FILE', async () => {
    await expect(loadKeyRing({}, undefined, '/x/config.toml')).rejects.toMatchObject({ code: 'ERR_NO_MASTER_KEY', hint: expect.stringContaining('cac env keygen') });
    await expect(loadKeyRing({ CAC_MASTER_KEY: ' , ' }, undefined, '/x/config.toml')).rejects.toMatchObject({ code: 'ERR_NO_MASTER_KEY' });
    const { file } = keyFile('# only a comment\n', 0o600);
    await expect(loadKeyRing({}, file, '/x/config.toml')).rejects.toMatchObject({ code: 'ERR_NO_MASTER_KEY' });
    await expect(loadKeyRing({}, '/nonexistent/master.key', '/x/config.toml')).rejects.toMatchObject({ code: 'ERR_KEY_FILE' });
  });
});
