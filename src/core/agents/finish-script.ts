// Round trip 3: forwarded env values (present only in this process's environment, passed by name)
// go to a 0600 file in the remote user's home; login shells source it through ONE guarded line
// added once; ~/.local/bin goes on PATH there; Claude gets its onboarding marker if it has none.
import { CacError } from '../../errors.js';
import { quote } from '../../util/shell.js';

export const FINISH_MARK = '# cac agents: finish';
/** Relative to the container home. */
export const ENV_FILE = '.cac/agents.env';
const GUARD = '# cac agents env';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROFILES = ['.profile', '.bash_profile', '.bash_login', '.zprofile'];

export interface FinishPlan {
  home: string;
  /** (Re)write the env file and make sure login shells source it. */
  writeEnv: boolean;
  /** Names whose values the exec environment carries. */
  names: readonly string[];
  /** Write ~/.claude.json with hasCompletedOnboarding when it does not exist. */
  claudeOnboarding: boolean;
}

export function finishScript(plan: FinishPlan): string {
  const bad = plan.names.find((n) => !NAME.test(n));
  if (bad !== undefined) throw new CacError('ERR_INVALID_INPUT', `not an environment variable name: ${JSON.stringify(bad)}`);
  return [
    FINISH_MARK,
    `h=${quote(plan.home)}`,
    ...(plan.writeEnv ? envPart(plan.names) : []),
    ...(plan.claudeOnboarding
      ? [`if [ ! -e "$h/.claude.json" ]; then (umask 077; printf '%s\\n' '{"hasCompletedOnboarding":true}' > "$h/.claude.json"); fi`]
      : []),
    'exit 0',
  ].join('\n');
}

function envPart(names: readonly string[]): string[] {
  const envFile = `"$h"/${ENV_FILE}`;
  const line = `if [ -f "$HOME/${ENV_FILE}" ]; then . "$HOME/${ENV_FILE}"; fi ${GUARD}`;
  return [
    // single-quote a value for sh (pure sh: trailing newlines and every byte survive)
    'cac_q() {',
    '  s=$1 r=',
    '  while :; do',
    `    case $s in *"'"*) p=\${s%%"'"*}; s=\${s#*"'"}; r=$r$p"'\\''" ;; *) r=$r$s; break ;; esac`,
    '  done',
    `  printf "'%s'" "$r"`,
    '}',
    'umask 077',
    'mkdir -p "$h/.cac" && chmod 700 "$h/.cac" || exit 1',
    '{',
    `  printf '%s\\n' '# written by cac on agent injection: forwarded variables for login shells'`,
    ...names.map((n) => `  printf 'export %s=%s\\n' ${quote(n)} "$(cac_q "\${${n}-}")"`),
    `  printf '%s\\n' 'case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH"; export PATH ;; esac'`,
    `} > ${envFile}.tmp && chmod 600 ${envFile}.tmp && mv -f ${envFile}.tmp ${envFile} || exit 1`,
    'umask 022',
    `line=${quote(line)}`,
    `for f in ${PROFILES.map((p) => `"$h"/${p}`).join(' ')}; do`,
    `  if [ "$f" != "$h/.profile" ] && [ ! -f "$f" ]; then continue; fi`,
    `  if grep -qsF ${quote(GUARD)} "$f"; then continue; fi`,
    `  if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then printf '\\n' >> "$f"; fi`,
    '  printf \'%s\\n\' "$line" >> "$f" || exit 1',
    'done',
  ];
}

