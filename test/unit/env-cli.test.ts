import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempHome, type CliResult } from '../helpers/run-cli.js';
import { expectNoLeak } from '../helpers/leak-guard.js';

const CANARY = `canary-${randomBytes(8).toString('hex')}`;
const DOTENV = `# app secrets\nAPI_TOKEN=${CANARY}\nexport DB_URL="postgres://app:${CANARY}@db/app"\nMULTI="line1\n${CANARY}"\n`;
const key = () => randomBytes(32).toString('base64');

function setup(masterKey = key()) {
  const { home, env } = tempHome();
  const plain = join(home, 'app.env');
  writeFileSync(plain, DOTENV);
  return { home, plain, env: { ...env, CAC_MASTER_KEY: masterKey } };
}

const outputs = (...rs: CliResult[]) => rs.flatMap((r) => [r.stdout, r.stderr]);

describe('cac env', () => {
  it('keygen prints a fresh 32-byte base64 key and a storage hint on stderr', async () => {
    const { env } = tempHome();
    const a = await runInProcess(['env', 'keygen'], env);
    const b = await runInProcess(['--json', 'env', 'keygen'], env);
    expect(a.exitCode).toBe(0);
    expect(Buffer.from(a.stdout.trim(), 'base64')).toHaveLength(32);
    expect(a.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(a.stderr).toContain('0600');
    const doc = JSON.parse(b.stdout);
    expect(doc).toEqual({ outcome: 'success', key: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/) });
    expect(doc.key).not.toBe(a.stdout.trim());
  });

  it('encrypt (stdin) → check prints only the key names; the canary appears nowhere', async () => {
    const { home, env } = setup();
    const enc = await runInProcess(['env', 'encrypt'], env, DOTENV);
    expect(enc.exitCode).toBe(0);
    expect(enc.stdout).toMatch(/^cac:v1:[0-9a-f]{8}:[A-Za-z0-9+/=]+\n$/);
    const file = join(home, 'payload.enc');
    writeFileSync(file, enc.stdout);
    const check = await runInProcess(['env', 'check', file], env);
    expect(check).toMatchObject({ exitCode: 0, stdout: 'API_TOKEN\nDB_URL\nMULTI\n' });
    const json = await runInProcess(['--json', 'env', 'check', file], env);
    expect(JSON.parse(json.stdout)).toEqual({ outcome: 'success', file, names: ['API_TOKEN', 'DB_URL', 'MULTI'] });
    expectNoLeak([CANARY], { outputs: outputs(enc, check, json), dirs: [join(home, '.local'), join(home, '.config')] });
  });

  it('encrypt --in --out writes the envelope atomically with mode 0600 and prints the path', async () => {
    const { home, plain, env } = setup();
    const out = join(home, 'secrets/app.env.enc');
    const r = await runInProcess(['env', 'encrypt', '--in', plain, '--out', out], env);
    expect(r).toMatchObject({ exitCode: 0, stdout: `${out}\n` });
    expect(r.stderr).toMatch(/encrypted 3 key\(s\) with master key [0-9a-f]{8}/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toMatch(/^cac:v1:/);
    const json = await runInProcess(['--json', 'env', 'encrypt', '--in', plain, '--out', out], env);
    expect(JSON.parse(json.stdout)).toEqual({ outcome: 'success', keyId: expect.stringMatching(/^[0-9a-f]{8}$/), keys: 3, out });
    const check = await runInProcess(['env', 'check', out], env);
    expect(check.stdout).toBe('API_TOKEN\nDB_URL\nMULTI\n');
    expectNoLeak([CANARY], { outputs: outputs(r, json, check), dirs: [join(home, 'secrets'), join(home, '.local')] });
  });

  it('check with another key is ERR_UNKNOWN_KEY (exit 1); a tampered payload is ERR_DECRYPT (exit 1)', async () => {
    const { home, plain, env } = setup();
    const out = join(home, 'p.enc');
    await runInProcess(['env', 'encrypt', '--in', plain, '--out', out], env);
    const wrong = await runInProcess(['--json', 'env', 'check', out], { ...env, CAC_MASTER_KEY: key() });
    expect(wrong.exitCode).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ outcome: 'error', code: 'ERR_UNKNOWN_KEY' });
    const [head, body = ''] = readFileSync(out, 'utf8')
      .trim()
      .split(/:(?=[^:]*$)/);
    const bytes = Buffer.from(body, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(out, `${head}:${bytes.toString('base64')}\n`);
    const tampered = await runInProcess(['env', 'check', out], env);
    expect(tampered.exitCode).toBe(1);
    expect(tampered.stderr).toMatch(/^error: cannot decrypt the payload/);
    expectNoLeak([CANARY], { outputs: outputs(wrong, tampered) });
  });

  it('rotation: a payload from the old key still checks once the new key is appended', async () => {
    const oldKey = key();
    const { plain, env } = setup(oldKey);
    const enc = await runInProcess(['env', 'encrypt', '--in', plain], env);
    const { home } = tempHome();
    const file = join(home, 'p.enc');
    writeFileSync(file, enc.stdout);
    const r = await runInProcess(['env', 'check', file], { ...env, CAC_MASTER_KEY: `${oldKey},${key()}` });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'API_TOKEN\nDB_URL\nMULTI\n' });
  });

  it('refuses plaintext mistakes without echoing the plaintext', async () => {
    const { plain, env } = setup();
    const notEnvelope = await runInProcess(['env', 'check', plain], env);
    expect(notEnvelope.exitCode).toBe(1);
    expect(notEnvelope.stderr).toContain('not a valid encrypted payload');
    const malformed = await runInProcess(['env', 'encrypt'], env, `OK=1\n${CANARY}\n`);
    expect(malformed.exitCode).toBe(1);
    expect(malformed.stderr).toContain('.env line 2: expected KEY=VALUE');
    const enc = await runInProcess(['env', 'encrypt', '--in', plain], env);
    const twice = await runInProcess(['env', 'encrypt'], env, enc.stdout);
    expect(twice.stderr).toContain('already encrypted');
    const noKey = await runInProcess(['env', 'encrypt', '--in', plain], tempHome().env);
    expect(noKey.exitCode).toBe(1);
    expect(noKey.stderr).toContain("hint: create one with 'cac env keygen'");
    expectNoLeak([CANARY], { outputs: outputs(notEnvelope, malformed, enc, twice, noKey) });
  });

  it('[secrets] master_key_file is used, and refused while group/world readable', async () => {
    const { home, plain, env } = setup();
    const keyFile = join(home, 'master.key');
    writeFileSync(keyFile, `${key()}\n`);
    chmodSync(keyFile, 0o600);
    mkdirSync(join(env.XDG_CONFIG_HOME, 'cac'), { recursive: true });
    writeFileSync(join(env.XDG_CONFIG_HOME, 'cac/config.toml'), '[secrets]\nmaster_key_file = "~/master.key"\n');
    const ok = await runInProcess(['env', 'encrypt', '--in', plain], env);
    expect(ok.exitCode).toBe(0);
    chmodSync(keyFile, 0o644);
    const open = await runInProcess(['env', 'encrypt', '--in', plain], env);
    expect(open.exitCode).toBe(1);
    expect(open.stderr).toContain(`hint: chmod 600 ${keyFile}`);
    expect(open.stdout).toBe('');
    expectNoLeak([CANARY], { outputs: outputs(ok, open) });
  });
});
