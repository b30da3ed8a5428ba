// config path | show | init | validate: flags → app → render → exit code.
import { stringify } from 'smol-toml';
import { EXIT } from '../../errors.js';
import { configPath, initConfig, showConfig, validateConfig } from '../../app/use-cases/config.js';
import type { Handler } from '../action.js';

export const path: Handler = async (ctx) => {
  const doc = await configPath(ctx);
  ctx.result(doc, doc.path);
  return EXIT.ok;
};

export const show: Handler = async (ctx) => {
  const doc = await showConfig(ctx);
  const header = `# effective config (${doc.exists ? doc.file : `${doc.file} not present: all defaults`})\n`;
  ctx.result(doc, header + stringify(doc.config));
  return EXIT.ok;
};

export const init: Handler<[], { force?: true | undefined }> = async (ctx, { opts }) => {
  const doc = await initConfig(ctx, { force: opts.force === true });
  ctx.result(doc, doc.path);
  return EXIT.ok;
};

export const validate: Handler<[file: string | undefined]> = async (ctx, { args: [file] }) => {
  const doc = await validateConfig(ctx, { file });
  const human = doc.exists ? `${doc.file}: ${doc.outcome === 'success' ? 'valid' : `valid with ${doc.warnings.length} warning(s)`}` : `${doc.file}: not present (all defaults)`;
  ctx.result(doc, human);
  return doc.outcome === 'warnings' ? EXIT.warnings : EXIT.ok;
};
