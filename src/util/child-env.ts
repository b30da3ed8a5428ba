// What a child process gets from cac's environment: an allow-list, never the whole of it. cac's master
// keys, agent credentials and whatever else the user keeps in their shell stay in cac; each child gets
// the variables every program needs plus what that child documents it needs (README "Security").

export type Env = Readonly<Record<string, string | undefined>>;

/** Every child: where programs and files are, who the user is, the terminal, locale, proxies, CA bundles. */
export const BASE_NAMES = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TMPDIR',
  'TERM',
  'TZ',
  'LANG',
  'LANGUAGE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
  'XDG_RUNTIME_DIR',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
] as const;

/** The docker client's own settings (docker, the devcontainer CLI and the command plugins reach the engine). */
export const ENGINE_NAMES = ['DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'] as const;

/** ssh's agent: git and ssh log in with it, and docker through an ssh:// engine. */
export const SSH_NAMES = ['SSH_AUTH_SOCK'] as const;

/** git's documented transport settings (mirrors of hosted repositories). */
export const GIT_NAMES = ['GIT_SSH_COMMAND', 'GIT_SSH', 'GIT_SSH_VARIANT', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH'] as const;

const LOCALE = /^LC_[A-Z]+$/;

/** Names no child ever receives from cac's environment, whatever a list or a devcontainer.json asks for. */
export const NEVER_FORWARDED = /^CAC_/;

/** The allow-listed part of `env`: base names, LC_*, and `extra` (never a CAC_* name); unset names are left out. */
export function childEnv(env: Env, extra: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const wanted = new Set<string>([...BASE_NAMES, ...extra]);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || NEVER_FORWARDED.test(name)) continue;
    if (wanted.has(name) || LOCALE.test(name)) out[name] = value;
  }
  return out;
}

/** What every program cac runs on this machine gets (docker, the devcontainer CLI, git, ssh, tar). */
export function localChildEnv(env: Env): Record<string, string> {
  return childEnv(env, [...ENGINE_NAMES, ...SSH_NAMES]);
}

/** Only the named variables that are set (git's extras, a plugin's listed names). */
export function pickEnv(env: Env, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && !NEVER_FORWARDED.test(name)) out[name] = value;
  }
  return out;
}

// Name words that mark a credential: GITHUB_TOKEN, OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, NPM_AUTH …
const SECRET_WORD = /(^|_)(TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASS|PASSPHRASE|PWD|KEY|KEYS|APIKEY|CREDENTIAL|CREDENTIALS|AUTH|COOKIE|PAT|PRIVATE)(_|$)/i;

/** True for a variable cac treats as a secret: a CAC_* name, a name in `known`, or one whose words say so. */
export function looksSecret(name: string, known: ReadonlySet<string> = new Set()): boolean {
  return NEVER_FORWARDED.test(name) || known.has(name) || SECRET_WORD.test(name);
}
