// env keygen | encrypt | check: encrypted .env payloads. Plaintext is only ever read (a file or stdin),
// held in Buffers that are zeroed after use, and never written or printed; only key names are shown.
import { readFile } from 'node:fs/promises';
import { CacError } from '../../errors.js';
import { parseDotenv } from '../../core/secrets/dotenv.js';
import { looksLikeEnvelope } from '../../core/secrets/envelope.js';
import { generateKey } from '../../core/secrets/keys.js';
import { writeFileAtomic } from '../../util/fs.js';
import { readAll } from '../../util/read-all.js';
import type { AppContext } from '../context.js';
import { encryptionFor } from '../secrets.js';

/** A new master key (base64, 32 bytes). */
export function newMasterKey(ctx: AppContext): { outcome: 'success'; key: string } {
  const key = generateKey();
  ctx.reporter.emit({
    type: 'info',
    message: 'new master key printed on stdout: keep it in a 0600 file ([secrets] master_key_file) or in $CAC_MASTER_KEY; anyone who has it can read your payloads',
  });
  return { outcome: 'success', key };
}

export interface EncryptResult {
  outcome: 'success';
  /** The master key that encrypted the payload (the newest). */
  keyId: string;
  /** How many variables the payload holds. */
  keys: number;
  /** The envelope, when it was not written to a file. */
  envelope?: string;
  /** The file it was written to (0600). */
  out?: string;
}

/** Encrypts a .env (a file, else stdin) with the newest master key; writes the envelope to `out` when given. */
export async function encryptEnv(ctx: AppContext, input: { in?: string | undefined; out?: string | undefined }): Promise<EncryptResult> {
  const service = await encryptionFor(ctx);
  if (!input.in && (ctx.stdio.stdin as { isTTY?: boolean }).isTTY) ctx.reporter.emit({ type: 'info', message: 'reading the .env from stdin (end with Ctrl-D)' });
  const plain = input.in ? await readInput(input.in) : await readAll(ctx.stdio.stdin);
  let envelope: string;
  let keys: number;
  try {
    const text = plain.toString('utf8');
    if (text.trim() === '') throw new CacError('ERR_INVALID_INPUT', 'the .env input is empty', { hint: 'pass a .env file with --in or on stdin' });
    if (looksLikeEnvelope(text)) throw new CacError('ERR_INVALID_INPUT', 'the input is already encrypted', { hint: "check it with 'cac env check <file>'" });
    keys = parseDotenv(text).length;
    envelope = service.encrypt(plain);
  } finally {
    plain.fill(0);
  }
  const doc = { outcome: 'success' as const, keyId: service.currentKeyId, keys };
  if (!input.out) return { ...doc, envelope };
  await writeFileAtomic(input.out, `${envelope}\n`, 0o600);
  ctx.reporter.emit({ type: 'info', message: `encrypted ${keys} key(s) with master key ${service.currentKeyId} into ${input.out}` });
  return { ...doc, out: input.out };
}

/** Decrypts the payload in memory and returns only its variable names. */
export async function checkEnv(ctx: AppContext, input: { file: string }): Promise<{ outcome: 'success'; file: string; names: string[] }> {
  const envelope = (await readInput(input.file)).toString('utf8');
  const service = await encryptionFor(ctx);
  const names = await service.withDecrypted(envelope, (plain) => parseDotenv(plain.toString('utf8')).map((e) => e.name));
  ctx.reporter.emit({ type: 'info', message: `${input.file}: decrypted, ${names.length} key(s)` });
  return { outcome: 'success', file: input.file, names };
}

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new CacError('ERR_FILE_READ', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { hint: 'check the path' });
  }
}
