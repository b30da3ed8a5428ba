// The constant POSIX sh scripts the repo, switch and env steps run on a box. None has a value in its
// text: every value (folder, URL, branch) is a positional parameter, quoted into the command line by the
// Host (util/shell.ts), and branches and URLs are validated before any of this runs.
import { GIT_ALLOW_PROTOCOL } from '../../domain/validate.js';

// every git these scripts start speaks only the transports cac accepts, whatever the box's git config
// allows (protocol.ext.allow=always would let an ext:: URL run a command), and never prompts
const GIT_GUARD = `export GIT_ALLOW_PROTOCOL=${GIT_ALLOW_PROTOCOL} GIT_TERMINAL_PROMPT=0`;

// `$@` (the branches) becomes `+refs/heads/<b>:refs/remotes/origin/<b>` refspecs in place.
const REFSPECS = 'n=$#; for b in "$@"; do set -- "$@" "+refs/heads/$b:refs/remotes/origin/$b"; done; shift "$n"';

/**
 * push: stdin is a git bundle. Args: folder (relative to $HOME), repo URL (the origin remote's URL),
 * branches. Fetches them into refs/remotes/origin/*; prints the absolute folder.
 */
export const PUSH_FETCH = `set -eu
${GIT_GUARD}
dir=$1 url=$2; shift 2
mkdir -p -- "$dir"
cd -- "$dir"
tmp=$(mktemp "\${TMPDIR:-/tmp}/cac-bundle.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
[ -d .git ] || git -c init.defaultBranch=cac-init init -q
git remote get-url origin >/dev/null 2>&1 || git remote add origin "$url"
${REFSPECS}
git fetch -q "$tmp" "$@"
pwd`;

/**
 * clone: the box clones the URL itself (first time, at the first branch), then fetches the branches.
 * Args: folder (relative to $HOME), repo URL, branches. Prints the absolute folder.
 */
export const CLONE_FETCH = `set -eu
${GIT_GUARD}
dir=$1 url=$2; shift 2
if [ ! -d "$dir/.git" ]; then
  rm -rf -- "$dir"
  mkdir -p -- "$dir"
  git clone -q --no-checkout --branch "$1" -- "$url" "$dir"
fi
cd -- "$dir"
${REFSPECS}
git fetch -q origin "$@"
pwd`;

/** Args: folder, branch. Checks the fetched branch out (created or reset to origin's); prints the commit checked out. */
export const CHECKOUT = `set -eu
${GIT_GUARD}
cd -- "$1"
git checkout -q -B "$2" "refs/remotes/origin/$2" --
git rev-parse HEAD`;

/** Args: folder, branch. Fast-forwards the checked-out branch to the fetched origin branch (never a merge); prints the new HEAD. */
export const FAST_FORWARD = `set -eu
${GIT_GUARD}
cd -- "$1"
git merge -q --ff-only "refs/remotes/origin/$2"
git rev-parse HEAD`;

/** Args: folder, revision, path. Prints the file at that revision (exit 1 when it is not there). */
export const SHOW_AT = `set -u
cd -- "$1" || exit 1
git show "$2:$3" 2>/dev/null`;

/** Args: folder, revision, paths…. Prints "<path> <object id>" per path ("-" for a path absent at that revision). */
export const OBJECTS_AT = `set -u
cd -- "$1" || exit 1
rev=$2; shift 2
for p in "$@"; do printf '%s %s\\n' "$p" "$(git rev-parse --verify --quiet "$rev:$p" || echo -)"; done`;

// Args after `shift 5`: how (push: stdin is a bundle of the branch; clone: fetched from origin), folder
// (cd'ed into), branch; `$ref` is then the fetched branch. Prints `fetched`.
const FETCH_BRANCH = `how=$1 branch=$3 config=$4 n=$5
cd -- "$2"
shift 5
ref="refs/remotes/origin/$branch"
if [ "$how" = push ]; then
  tmp=$(mktemp "\${TMPDIR:-/tmp}/cac-bundle.XXXXXX")
  trap 'rm -f -- "$tmp"' EXIT
  cat > "$tmp"
  git fetch -q "$tmp" "+refs/heads/$branch:$ref"
else
  git fetch -q origin "+refs/heads/$branch:$ref"
fi
echo fetched`;

// What the config hash needs at `$rev` (config-hash.ts): the object id of each of the `$n` paths first
// in `$@` (`-`: absent), an ls-tree of each folder after them ended by `=listed <folder>`, then
// `=config` and the text of `$config`.
const CONFIG_READ = `while [ "$n" -gt 0 ]; do git rev-parse --verify --quiet "$rev:$1" || echo -; shift; n=$((n - 1)); done
for d in "$@"; do git -c core.quotePath=false ls-tree "$rev" -- "$d/" && echo "=listed $d" || :; done
echo =config
git show "$rev:$config" 2>/dev/null || :`;

/**
 * The switch step in one exec (each exec is a round trip and a login). Args: how (push|clone), folder,
 * branch, the devcontainer.json (relative), n, n paths, the folders to list. Fetches the branch; prints
 * `fetched`, `same` or `changed` (does the dev container config differ from HEAD's?), then checks the
 * branch out and prints its commit and the config reads at it. What printed last tells which git
 * operation failed.
 */
export const SWITCH = `set -eu
${GIT_GUARD}
${FETCH_BRANCH}
if git diff --quiet HEAD "$ref" -- .devcontainer .devcontainer.json; then echo same; else echo changed; fi
git checkout -q -B "$branch" "$ref" --
git rev-parse HEAD
rev=HEAD
${CONFIG_READ}`;

/**
 * Bringing a box to head, its reads in one exec. Args as SWITCH's (the base branch). Fetches it; prints
 * `fetched`, the checkout's HEAD and the fetched head (`-`: missing), then, when they differ, the config
 * reads at the fetched head. The checkout is left as it was.
 */
export const HEAD_READ = `set -eu
${GIT_GUARD}
${FETCH_BRANCH}
from=$(git rev-parse --verify --quiet HEAD) || from=-
to=$(git rev-parse --verify --quiet "$ref^{commit}") || to=-
echo "$from"
echo "$to"
[ "$to" != - ] && [ "$from" != "$to" ] || exit 0
rev=$ref
${CONFIG_READ}`;

/** WRITE_ENV's exit status when the checkout's .env is a link or not a regular file. */
export const ENV_NOT_REGULAR_EXIT = 3;

/**
 * stdin is the plaintext .env. Args: folder. Written with umask 077 to a temp file next to the target,
 * then renamed to .env (0600, owned by the login user); the temp file never outlives the script. A .env
 * the repository committed as a symbolic link or a directory would carry the payload out of the checkout:
 * the script refuses it (exit ${ENV_NOT_REGULAR_EXIT}) before reading stdin, and the rename never enters a
 * directory (mv -T replaces a link made since the check). The checkout's .git/info/exclude lists /.env so
 * it is never committed by accident.
 */
export const WRITE_ENV = `set -eu
umask 077
cd -- "$1"
if [ -L .env ] || { [ -e .env ] && [ ! -f .env ]; }; then
  echo ".env in the checkout is a symbolic link or not a regular file: not writing the payload through it" >&2
  exit ${ENV_NOT_REGULAR_EXIT}
fi
tmp=$(mktemp .env.cac.XXXXXX)
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
chmod 600 -- "$tmp"
mv -fT -- "$tmp" .env
if [ -d .git ] && ! grep -qxF /.env .git/info/exclude 2>/dev/null; then mkdir -p .git/info && echo /.env >> .git/info/exclude; fi`;
