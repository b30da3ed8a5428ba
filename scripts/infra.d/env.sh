# shellcheck shell=bash
# .infra/env: the endpoints `scripts/infra up` found, one KEY='value' per line, every value single-quoted
# so that `set -a; . .infra/env` works in any POSIX shell (a host key has a space in it).
# test/helpers/infra.ts readInfraEnv parses the same form. Sourced by scripts/infra; no side effects.

# KEY='value', with each ' in value written as '\'' (close, escaped quote, reopen).
env_line() {  # $1 = key, $2 = value
  local q="'\\''"
  case $2 in *$'\n'*)
    echo "env_line: the value of $1 has a newline; .infra/env holds one line per key" >&2
    return 1
    ;;
  esac
  printf "%s='%s'\n" "$1" "${2//\'/$q}"
}

# Writes KEY VALUE pairs to FILE atomically (readers never see a half-written file), mode 644.
write_env_file() {  # $1 = file, then key value key value ...
  local file=$1 tmp
  shift
  tmp=$(mktemp "$file.XXXXXX")
  while [ $# -ge 2 ]; do
    env_line "$1" "$2" >>"$tmp" || {
      rm -f "$tmp"
      return 1
    }
    shift 2
  done
  chmod 644 "$tmp"
  mv -f "$tmp" "$file"
}

# One value from an env file, as the shell reads it; empty when the file or key is missing. A file
# written before values were quoted still yields its other keys (the unquoted host-key line fails alone).
env_file_get() {  # $1 = file, $2 = key
  [ -f "$1" ] || return 0
  (
    set +eu -a
    # shellcheck disable=SC1090
    . "$1" >/dev/null 2>&1
    printf '%s' "${!2:-}"
  )
}
