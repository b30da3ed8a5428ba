// Shell run on a box (every value a positional argument) for pools prepared ahead.
import type { Host } from '../../ports/host.js';
import { PREPARED_MARKER } from '../boxes/prepared.js';

/** The devcontainer config paths whose git object ids make a pool's config hash. */
export const CONFIG_PATHS = ['.devcontainer', '.devcontainer.json'] as const;

/** Where a prepared inner engine keeps the devcontainer CLI (a copy of its npm package), by version. */
const CLI_STORE = '/var/lib/docker/cac-cli';

/** Args: checkout folder, paths…. Prints the git object id of each path present at HEAD. */
export const CONFIG_OBJECTS = `set -u
cd "$1" || exit 1
shift
for p in "$@"; do git rev-parse --verify --quiet "HEAD:$p" || true; done`;

/** Git object ids of the checkout's devcontainer config at HEAD. */
export async function boxConfigObjects(host: Host, folder: string, signal: AbortSignal): Promise<string[]> {
  const r = await host.exec(['sh', '-c', CONFIG_OBJECTS, 'sh', folder, ...CONFIG_PATHS], { signal });
  return r.exitCode === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** Args: none. Prints the JSON marker of the prepared state this box's inner engine started from (nothing when none). */
export const READ_MARKER = `sudo -n cat /var/lib/docker/${PREPARED_MARKER} 2>/dev/null || true`;

/**
 * Args: box id, marker JSON, CLI path, CLI version. Removes the box's dev containers, keeps a copy of the
 * devcontainer CLI's package, writes the marker, then stops the inner engine and waits until it is gone
 * (its data root is then consistent, ready to be copied).
 */
export const FINISH_PREPARE = `set -u
ids=$(docker ps -aq --filter "label=cac.box=$1")
[ -z "$ids" ] || docker rm -f -v $ids >/dev/null || exit 1
pkg=$(dirname "$(readlink -f "$3")")
sudo -n rm -rf "${CLI_STORE}/$4" && sudo -n mkdir -p "${CLI_STORE}" && sudo -n cp -a "$pkg" "${CLI_STORE}/$4" || exit 1
printf '%s\\n' "$2" | sudo -n tee /var/lib/docker/${PREPARED_MARKER} >/dev/null || exit 1
pid=$(sudo -n cat /var/run/docker.pid 2>/dev/null) || { echo 'the inner engine is not running' >&2; exit 1; }
sudo -n kill -TERM "$pid" || exit 1
i=0
while sudo -n kill -0 "$pid" 2>/dev/null; do
  i=$((i + 1)); [ "$i" -le 600 ] || { echo 'the inner engine did not stop within 60 s' >&2; exit 1; }
  sleep 0.1
done`;

/**
 * Shell for the devcontainer CLI install (sourced by ENSURE_CLI with $v set): the CLI's package from the
 * prepared inner engine's data root, copied to ~/.local, when it is there at version $v.
 */
export const PREPARED_CLI = `if sudo -n test -f "${CLI_STORE}/$v/package.json" 2>/dev/null; then
  mkdir -p "$HOME/.local/lib" "$HOME/.local/bin" && rm -rf "$HOME/.local/lib/cac-devcontainer-cli"
  sudo -n cp -a "${CLI_STORE}/$v" "$HOME/.local/lib/cac-devcontainer-cli" && sudo -n chown -R "$(id -u):$(id -g)" "$HOME/.local/lib/cac-devcontainer-cli" &&
    ln -sf "$HOME/.local/lib/cac-devcontainer-cli/devcontainer.js" "$HOME/.local/bin/devcontainer"
  if have "$HOME/.local/bin/devcontainer"; then printf 'cli\\t%s\\n' "$HOME/.local/bin/devcontainer"; exit 0; fi
fi`;
