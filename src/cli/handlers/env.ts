// env keygen | encrypt | check: flags → app → render → exit code.
import { EXIT } from '../../errors.js';
import { checkEnv, encryptEnv, newMasterKey } from '../../app/use-cases/env.js';
import type { Handler } from '../action.js';

export const keygen: Handler = async (ctx) => {
  const doc = newMasterKey(ctx);
  ctx.result(doc, doc.key);
  return EXIT.ok;
};

export const encrypt: Handler<[], { in?: string | undefined; out?: string | undefined }> = async (ctx, { opts }) => {
  const doc = await encryptEnv(ctx, { in: opts.in, out: opts.out });
  ctx.result(doc, doc.out ?? doc.envelope);
  return EXIT.ok;
};

export const check: Handler<[file: string]> = async (ctx, { args: [file] }) => {
  const doc = await checkEnv(ctx, { file });
  ctx.result(doc, doc.names.join('\n'));
  return EXIT.ok;
};
