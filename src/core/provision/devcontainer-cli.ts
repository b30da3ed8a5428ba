// The pinned devcontainer CLI on a box: found (on PATH or in ~/.local/bin) at the pinned version, else
// copied from the pool's prepared state (core/boxes/prepared.ts) when it holds that version, else
// installed with npm — `sudo -n npm i -g` when the user may, else under ~/.local. A box without Node
// gets a clear error: the CLI needs Node ≥ 20.
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import { PREPARED_CLI } from './prepare-scripts.js';

const NO_NODE = 3;

/** Args: version. Prints `cli<TAB><absolute path>`; exits 3 (and prints why) when the box has no usable Node. */
export const ENSURE_CLI = `set -u
v=$1
npmflags='--no-audit --no-fund --no-update-notifier --loglevel=error'
have() { [ -n "$1" ] && [ "$("$1" --version 2>/dev/null)" = "$v" ]; }
found=$(command -v devcontainer 2>/dev/null || true)
[ -n "$found" ] || { [ -x "$HOME/.local/bin/devcontainer" ] && found=$HOME/.local/bin/devcontainer; }
if have "$found"; then printf 'cli\\t%s\\n' "$found"; exit 0; fi
${PREPARED_CLI}
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then echo 'no node or npm on PATH' >&2; exit ${NO_NODE}; fi
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then echo "node $(node --version 2>/dev/null) is older than 20" >&2; exit ${NO_NODE}; fi
if sudo -n true 2>/dev/null; then
  sudo -n npm i -g $npmflags "@devcontainers/cli@$v" >&2 || exit 1
  found=$(command -v devcontainer 2>/dev/null || true)
else
  npm i -g --prefix "$HOME/.local" $npmflags "@devcontainers/cli@$v" >&2 || exit 1
  found=$HOME/.local/bin/devcontainer
fi
have "$found" || { echo "devcontainer --version is not $v after the install" >&2; exit 1; }
printf 'cli\\t%s\\n' "$found"`;

/** The CLI's absolute path on the box, installing the pinned `version` when missing. */
export async function ensureDevcontainerCli(host: Host, version: string, signal: AbortSignal): Promise<string> {
  const r = await host.exec(['sh', '-c', ENSURE_CLI, 'sh', version], { signal });
  const path = /^cli\t(\/.+)$/m.exec(r.stdout)?.[1];
  if (r.exitCode === 0 && path) return path;
  const why = r.stderr.trim().split('\n').pop() ?? '';
  if (r.exitCode === NO_NODE) {
    throw new CacError('ERR_BOX_NO_NODE', `the box cannot run the devcontainer CLI: ${why}`, {
      hint: `use a box image with Node ≥ 20 and npm, or install @devcontainers/cli@${version} on it`,
    });
  }
  throw new CacError('ERR_DEVCONTAINER_CLI', `installing @devcontainers/cli@${version} on the box failed (exit ${r.exitCode})${why ? `: ${why}` : ''}`, {
    hint: 'the box needs npm registry access (or the CLI preinstalled) and passwordless sudo or a writable ~/.local',
  });
}
