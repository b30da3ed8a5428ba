// config path | show | init | validate
import { access } from 'node:fs/promises';
import { stringify } from 'smol-toml';
import { CacError, EXIT } from '../../errors.js';
import { loadConfig } from '../../config/load.js';
import { STARTER_CONFIG } from '../../config/starter.js';
import { writeFileAtomic } from '../../util/fs.js';
import { redactUrl } from '../../util/redact.js';
import type { Handler } from '../action.js';

export const path: Handler = async (ctx) => {
  const exists = await access(ctx.configFile).then(() => true, () => false);
  ctx.result({ outcome: 'ok', path: ctx.configFile, exists }, ctx.configFile);
  return EXIT.ok;
};

export const show: Handler = async (ctx) => {
  const loaded = await ctx.config();
  const { file, exists } = loaded;
  // a store URL may carry a password (redis://user:pass@host): shown as *** like doctor and errors do
  const config = loaded.config.store.url ? { ...loaded.config, store: { ...loaded.config.store, url: redactUrl(loaded.config.store.url) } } : loaded.config;
  const header = `# effective config (${exists ? file : `${file} not present: all defaults`})\n`;
  ctx.result({ outcome: 'ok', file, exists, config }, header + stringify(config));
  return EXIT.ok;
};

export const init: Handler = async (ctx, { opts }) => {
  const file = ctx.configFile;
  const force = opts.force === true;
  try {
    await writeFileAtomic(file, STARTER_CONFIG, 0o644, { exclusive: !force });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CacError('ERR_CONFIG_EXISTS', `${file} already exists`, { hint: "use 'cac config init --force' to overwrite it" });
    }
    throw new CacError('ERR_CONFIG_WRITE', `cannot write ${file}: ${(e as Error).message}`, { hint: 'check the directory permissions' });
  }
  ctx.reporter.emit({ type: 'info', message: `wrote ${file}` });
  ctx.result({ outcome: 'ok', path: file, overwritten: force }, file);
  return EXIT.ok;
};

export const validate: Handler = async (ctx, { args }) => {
  const file = typeof args[0] === 'string' ? args[0] : ctx.configFile;
  const loaded = await loadConfig(file);
  if (!loaded.exists && typeof args[0] === 'string') {
    throw new CacError('ERR_CONFIG_NOT_FOUND', `${file}: no such file`, { hint: 'check the path' });
  }
  for (const w of loaded.warnings) {
    ctx.reporter.emit({ type: 'warning', message: `${file}${w.line ? `:${w.line}` : ''}: ${w.message}` });
  }
  const outcome = loaded.warnings.length ? 'warnings' : 'ok';
  const human = loaded.exists ? `${file}: ${outcome === 'ok' ? 'valid' : `valid with ${loaded.warnings.length} warning(s)`}` : `${file}: not present (all defaults)`;
  ctx.result({ outcome, file, exists: loaded.exists, warnings: loaded.warnings }, human);
  return loaded.warnings.length ? EXIT.warnings : EXIT.ok;
};
