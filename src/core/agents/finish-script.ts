// Finishing: forwarded env values (present only in the exec's environment, passed by name) go to a
// 0600 file in a 0700 dir in the remote user's home; login shells source it through ONE guarded line
// added once; ~/.local/bin goes on PATH there; Claude gets its onboarding marker when it has none.
// Uses `$h` and `cac_inside` (home-guard): a file a link leads out of the home is reported, not written.
import { CacError } from '../../errors.js';
import { quote } from '../../util/shell.js';
import { homeGuardLines } from './home-guard.js';

export const FINISH_MARK = '# cac agents: finish';
/** Relative to the container home. */
export const AGENTS_ENV_FILE = '.cac/agents.env';
const ENV_FILE = AGENTS_ENV_FILE;
const GUARD = '# cac agents env';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROFILES = ['.profile', '.bash_profile', '.bash_login', '.zprofile'];

export interface FinishPlan {
  /** Write the env file; `if-present`: only rewrite an existing one (nothing is forwarded any more). */
  env: 'write' | 'if-present' | 'skip';
  /** Names whose values the exec environment carries. */
  names: readonly string[];
  /** Write ~/.claude.json with hasCompletedOnboarding when it does not exist. */
  claudeOnboarding: boolean;
}

/** Defines and runs `cac_finish`, then prints `finish <status>`. */
export function finishLines(plan: FinishPlan): string[] {
  const bad = plan.names.find((n) => !NAME.test(n));
  if (bad !== undefined) throw new CacError('ERR_INVALID_INPUT', `not an environment variable name: ${JSON.stringify(bad)}`);
  const env = plan.env === 'skip' ? [] : plan.env === 'write' ? envLines(plan.names) : [`  if cac_inside "$h"/${ENV_FILE} && [ -f "$h"/${ENV_FILE} ]; then`, ...envLines(plan.names), '  fi'];
  const onboarding = plan.claudeOnboarding
    ? [
        '  if ! cac_inside "$h/.claude.json"; then cac_refuse .claude.json',
        `  elif [ ! -e "$h/.claude.json" ]; then (umask 077; printf '%s\\n' '{"hasCompletedOnboarding":true}' > "$h/.claude.json") || return 1; fi`,
      ]
    : [];
  return [`cac_refuse() { printf 'refusedfile\\t%s\\n' "~/$1"; }`, 'cac_finish() {', ...env, ...onboarding, '  return 0', '}', 'cac_finish', `printf 'finish\\t%s\\n' "$?"`];
}

/** Finishing alone (after an install moved an agent into ~/.local). */
export function finishScript(home: string, plan: FinishPlan): string {
  return [FINISH_MARK, `h=${quote(home)}`, ...homeGuardLines(), ...finishLines(plan)].join('\n');
}

/** The home files finishing refused to write (`~/.cac/agents.env`, …), from the script's output. */
export function parseRefusedFiles(stdout: string): string[] {
  return stdout.split('\n').flatMap((l) => (l.startsWith('refusedfile\t') ? [l.slice('refusedfile\t'.length)] : []));
}

// Few forks on purpose (this runs on every injection): quoting and the profile check are sh only.
function envLines(names: readonly string[]): string[] {
  const file = `"$h"/${ENV_FILE}`;
  // An interactive shell without a terminal is a tool probing the login environment (the devcontainer
  // CLI's userEnvProbe, VS Code's), not a person: it would put every value on `docker exec -e NAME=value`
  // command lines (lifecycle hooks), so it does not get them. `cac exec` sources the file itself.
  const line = `if [ -f "$HOME/${ENV_FILE}" ] && { [ -t 0 ] || case $- in *i*) false ;; esac; }; then . "$HOME/${ENV_FILE}"; fi ${GUARD}`;
  return [
    // cac_q VALUE: sets r to VALUE single-quoted for sh (every byte survives, trailing newlines too)
    '  cac_q() {',
    '    s=$1 r=',
    `    while :; do case $s in *"'"*) r=$r\${s%%"'"*}"'\\''"; s=\${s#*"'"} ;; *) r="'$r$s'"; break ;; esac; done`,
    '  }',
    // set before any file is created: the env file is never readable by others, not even briefly
    '  umask 077',
    `  if ! cac_inside "$h/.cac" || ! cac_inside ${file} || ! cac_inside ${file}.tmp; then cac_refuse ${ENV_FILE}`,
    '  else',
    // an existing dir is made 0700 too: it holds the values
    '  if [ -d "$h/.cac" ]; then chmod 700 "$h/.cac" || return 1; else mkdir -m 700 "$h/.cac" || return 1; fi',
    // a stale temp file (or a link left there) is removed, never written through
    `  if [ -e ${file}.tmp ] || [ -L ${file}.tmp ]; then rm -f ${file}.tmp || return 1; fi`,
    '  {',
    `    printf '%s\\n' '# written by cac on agent injection: forwarded variables for login shells'`,
    ...names.flatMap((n) => [`    cac_q "\${${n}-}"`, `    printf 'export %s=%s\\n' ${quote(n)} "$r"`]),
    `    printf '%s\\n' 'case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH"; export PATH ;; esac'`,
    `  } > ${file}.tmp && mv -f ${file}.tmp ${file} || return 1`,
    // no profile line for an env file cac did not write (it would source a file outside the home)
    `  for f in ${PROFILES.map((p) => `"$h"/${p}`).join(' ')}; do`,
    `    if [ "$f" != "$h/.profile" ] && [ ! -f "$f" ]; then continue; fi`,
    '    if ! cac_inside "$f"; then cac_refuse "${f#"$h"/}"; continue; fi',
    // read leaves an unterminated last line in l: it is checked too, and gets its newline
    '    cac_has= l=',
    `    if [ -f "$f" ]; then while IFS= read -r l; do case $l in *${quote(GUARD)}*) cac_has=1 ;; esac; done < "$f"; fi`,
    `    case $l in *${quote(GUARD)}*) cac_has=1 ;; esac`,
    '    if [ -n "$cac_has" ]; then continue; fi',
    `    if [ -n "$l" ]; then printf '\\n' >> "$f"; fi`,
    `    printf '%s\\n' ${quote(line)} >> "$f" || return 1`,
    '  done',
    '  fi',
  ];
}
