// config path | show | init | validate: the global config file.
import { access } from 'node:fs/promises';
import { CacError } from '../../errors.js';
import { loadConfig, type ConfigWarning } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { STARTER_CONFIG } from '../../config/starter.js';
import { writeFileAtomic } from '../../util/fs.js';
import { redactUrl } from '../../util/redact.js';
import type { AppContext } from '../context.js';

export type { Config } from '../../config/schema.js';

/** The config file cac uses (it may not exist). */
export async function configPath(ctx: AppContext): Promise<{ outcome: 'success'; path: string; exists: boolean }> {
  const exists = await access(ctx.configFile).then(
    () => true,
    () => false,
  );
  return { outcome: 'success', path: ctx.configFile, exists };
}

/** The effective config, defaults included. */
export async function showConfig(ctx: AppContext): Promise<{ outcome: 'success'; file: string; exists: boolean; config: Config }> {
  const loaded = await ctx.config();
  const { file, exists } = loaded;
  // a store URL may carry a password (redis://user:pass@host): shown as *** like doctor and errors do
  const config = loaded.config.store.url ? { ...loaded.config, store: { ...loaded.config.store, url: redactUrl(loaded.config.store.url) } } : loaded.config;
  return { outcome: 'success', file, exists, config };
}

/** Writes the commented starter config; an existing file is overwritten only with `force`. */
export async function initConfig(ctx: AppContext, input: { force: boolean }): Promise<{ outcome: 'success'; path: string; overwritten: boolean }> {
  const file = ctx.configFile;
  try {
    await writeFileAtomic(file, STARTER_CONFIG, 0o644, { exclusive: !input.force });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CacError('ERR_CONFIG_EXISTS', `${file} already exists`, { hint: "use 'cac config init --force' to overwrite it" });
    }
    throw new CacError('ERR_CONFIG_WRITE', `cannot write ${file}: ${(e as Error).message}`, { hint: 'check the directory permissions' });
  }
  ctx.reporter.emit({ type: 'info', message: `wrote ${file}` });
  return { outcome: 'success', path: file, overwritten: input.force };
}

export interface ValidateResult {
  outcome: 'success' | 'warnings';
  file: string;
  exists: boolean;
  warnings: ConfigWarning[];
}

/** Checks a config file (default: the one cac uses); unknown keys are warnings, errors throw. */
export async function validateConfig(ctx: AppContext, input: { file?: string | undefined }): Promise<ValidateResult> {
  const file = input.file ?? ctx.configFile;
  const loaded = await loadConfig(file);
  if (!loaded.exists && input.file !== undefined) {
    throw new CacError('ERR_CONFIG_NOT_FOUND', `${file}: no such file`, { hint: 'check the path' });
  }
  for (const w of loaded.warnings) {
    ctx.reporter.emit({ type: 'warning', message: `${file}${w.line ? `:${w.line}` : ''}: ${w.message}` });
  }
  return { outcome: loaded.warnings.length ? 'warnings' : 'success', file, exists: loaded.exists, warnings: loaded.warnings };
}
