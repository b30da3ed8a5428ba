// Config = read → parse (parse.ts: smol-toml, zod) → {config, warnings}. Every command loads through
// here, `config validate` too: one verdict. A missing file is all defaults (defaults.ts), without
// loading the parser or the schema: ~20 ms less for every command run with no config file.
import { readFile } from 'node:fs/promises';
import { CacError } from '../errors.js';
import { defaultConfig } from './defaults.js';
import type { Config } from './schema.js';

/** An unknown key in the config: a warning, never an error. */
export interface ConfigWarning {
  /** Dot path of the key, e.g. `agents.codex.enabeld`. */
  path: string;
  line: number | undefined;
  message: string;
}

/** A loaded config: the validated values, the file, whether it exists, and its unknown-key warnings. */
export interface LoadedConfig {
  config: Config;
  file: string;
  /** False when the file does not exist (all defaults). */
  exists: boolean;
  warnings: ConfigWarning[];
}

/** Load the config file; a missing file means all defaults. */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { config: defaultConfig(), file, exists: false, warnings: [] };
    throw new CacError('ERR_CONFIG_READ', `${file}: cannot read config (${code ?? String(e)})`, {
      hint: code === 'EISDIR' ? 'that is a directory: point --config / $CAC_CONFIG at a file' : 'check the file permissions, or point --config / $CAC_CONFIG at another file',
    });
  }
  return (await import('./parse.js')).parseConfig(text, file);
}
