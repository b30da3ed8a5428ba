// env keygen | encrypt | check: encrypted .env payloads. Plaintext is only ever read (a file or stdin),
// held in Buffers that are zeroed after use, and never written or printed; only key names are shown.
import { readFile } from 'node:fs/promises';
import { CacError, EXIT } from '../../errors.js';
import { encryptionFor } from '../../app/secrets.js';
import { looksLikeEnvelope } from '../../core/secrets/envelope.js';
import { generateKey } from '../../core/secrets/keys.js';
import { parseDotenv } from '../../core/secrets/dotenv.js';
import { writeFileAtomic } from '../../util/fs.js';
import { readAll } from '../../util/read-all.js';
import type { Handler } from '../action.js';

export const keygen: Handler = async (ctx) => {
  const key = generateKey();
  ctx.reporter.emit({
    type: 'info',
    message: 'new master key printed on stdout: keep it in a 0600 file ([secrets] master_key_file) or in $CAC_MASTER_KEY; anyone who has it can read your payloads',
  });
  ctx.result({ outcome: 'ok', key }, key);
  return EXIT.ok;
};

export const encrypt: Handler = async (ctx, { opts }) => {
  const inFile = typeof opts.in === 'string' ? opts.in : undefined;
  const outFile = typeof opts.out === 'string' ? opts.out : undefined;
  const service = await encryptionFor(ctx);
  if (!inFile && (ctx.stdio.stdin as { isTTY?: boolean }).isTTY) ctx.reporter.emit({ type: 'info', message: 'reading the .env from stdin (end with Ctrl-D)' });
  const plain = inFile ? await readInput(inFile) : await readAll(ctx.stdio.stdin);
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
  const doc = { outcome: 'ok', keyId: service.currentKeyId, keys };
  if (!outFile) {
    ctx.result({ ...doc, envelope }, envelope);
    return EXIT.ok;
  }
  await writeFileAtomic(outFile, `${envelope}\n`, 0o600);
  ctx.reporter.emit({ type: 'info', message: `encrypted ${keys} key(s) with master key ${service.currentKeyId} into ${outFile}` });
  ctx.result({ ...doc, out: outFile }, outFile);
  return EXIT.ok;
};

export const check: Handler = async (ctx, { args }) => {
  const file = String(args[0]);
  const envelope = (await readInput(file)).toString('utf8');
  const service = await encryptionFor(ctx);
  const names = await service.withDecrypted(envelope, (plain) => parseDotenv(plain.toString('utf8')).map((e) => e.name));
  ctx.reporter.emit({ type: 'info', message: `${file}: decrypted, ${names.length} key(s)` });
  ctx.result({ outcome: 'ok', file, names }, names.join('\n'));
  return EXIT.ok;
};

async function readInput(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new CacError('ERR_FILE_READ', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { hint: 'check the path' });
  }
}
