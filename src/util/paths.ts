// XDG locations for config and state (docs/architecture.md "Where state lives").
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

function home(env: Env): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}

/** The config file: $CAC_CONFIG, else $XDG_CONFIG_HOME/cac/config.toml, else ~/.config/cac/config.toml. */
export function configFilePath(env: Env, flag?: string): string {
  if (flag) return flag;
  if (env.CAC_CONFIG) return env.CAC_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(home(env), '.config');
  return join(base, 'cac', 'config.toml');
}

/** The state dir (SQLite store, logs, keys): $XDG_STATE_HOME/cac, else ~/.local/state/cac. */
export function stateDir(env: Env): string {
  const base = env.XDG_STATE_HOME || join(home(env), '.local', 'state');
  return join(base, 'cac');
}

/** Expand a leading `~` against the given home. */
export function expandHome(path: string, homeDir: string): string {
  if (path === '~') return homeDir;
  if (path.startsWith('~/')) return join(homeDir, path.slice(2));
  return path;
}

export function hostHome(env: Env): string {
  return home(env);
}

/** The cache dir (agent CLI installs): $XDG_CACHE_HOME/cac, else ~/.cache/cac. */
export function cacheDir(env: Env): string {
  const base = env.XDG_CACHE_HOME || join(home(env), '.cache');
  return join(base, 'cac');
}
