// Everything cac writes into (or reads back from) the container user's home may be reached through a
// symbolic link the image or an earlier run planted (`~/.cac -> /tmp/elsewhere`, `~/.codex -> /etc`).
// These sh lines, placed after `$h` (the home) is set, resolve each path component and refuse a path
// that leaves the home. Links that stay in the home (dotfile managers) are fine. Builtins only,
// except one subshell or `readlink -f` per link actually met.

/** Defines `cac_inside PATH` (absolute): fails when a link on PATH, the last component included,
 * resolves outside the home (or cannot be resolved). Paths outside the home are not judged. */
export function homeGuardLines(): string[] {
  return [
    'while :; do case $h in ?*/) h=${h%/} ;; *) break ;; esac; done',
    'cac_H=$(cd -P "$h" 2>/dev/null && pwd -P) || cac_H=$h',
    '[ -n "$cac_H" ] || cac_H=$h',
    'cac_inside() {',
    '  [ "$cac_H" != / ] || return 0',
    '  case $1 in "$h"/*) cac_rest=${1#"$h"/} ;; *) return 0 ;; esac',
    '  cac_cur=$cac_H',
    '  while [ -n "$cac_rest" ]; do',
    '    cac_c=${cac_rest%%/*}',
    '    case $cac_rest in */*) cac_rest=${cac_rest#*/} ;; *) cac_rest= ;; esac',
    '    case $cac_c in "" | .) continue ;; ..) return 1 ;; esac',
    '    cac_cur=$cac_cur/$cac_c',
    '    [ -L "$cac_cur" ] || continue',
    // a link to a dir resolves with the shell alone; a link to a file (or a dangling one) needs readlink
    '    if [ -d "$cac_cur" ]; then cac_r=$(cd -P "$cac_cur" 2>/dev/null && pwd -P); else cac_r=$(readlink -f "$cac_cur" 2>/dev/null); fi',
    '    case $cac_r in "$cac_H" | "$cac_H"/*) cac_cur=$cac_r ;; *) return 1 ;; esac',
    '  done',
    '  return 0',
    '}',
  ];
}

/** Why a path was refused, in warnings. */
export const LEAVES_HOME = 'a symbolic link in the container leads outside the home';
