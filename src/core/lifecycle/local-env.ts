// The host variables a devcontainer.json reads: `${localEnv:NAME}` and its alias `${env:NAME}`, with or
// without a `:default`. The devcontainer CLI resolves them from its own environment, so cac passes the
// ones that are not secrets and nothing else (README "Security").

const REFERENCE = /\$\{(?:localEnv|env):([^}:]*)(?::[^}]*)?\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every variable name `text` references through localEnv, once each, in order of appearance. */
export function localEnvNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(REFERENCE)) {
    const name = m[1] ?? '';
    if (NAME.test(name)) names.add(name);
  }
  return [...names];
}
