// The POSIX sh scripts the ssh-fleet driver runs on a host. Every value goes through `sh` quoting;
// paths are under the login user's $HOME.
import { sh } from '../../util/shell.js';
import type { BoxStateFile } from './fleet-hosts.js';

// the box's state file is $HOME/.cac/box.json; its work folder $HOME/cac/<boxId>

/** Exit status of the claim script when the host already carries another box's state file. */
export const OCCUPIED = 3;

/**
 * Claims the host for a box: authorizes cac's public key, writes the state file unless this box's is
 * there (idempotent), prints it. A state file of ANOTHER box: prints it and exits OCCUPIED.
 */
export function claimScript(state: BoxStateFile, publicKey: string): string {
  const needle = `"boxId":${JSON.stringify(state.boxId)}`;
  return sh`set -e
umask 077
f="$HOME/.cac/box.json"
mkdir -p "$HOME/.cac" "$HOME/.ssh"
if [ -f "$f" ] && ! grep -qF ${needle} "$f"; then cat "$f"; exit ${OCCUPIED}; fi
touch "$HOME/.ssh/authorized_keys"
grep -qxF ${publicKey} "$HOME/.ssh/authorized_keys" || printf '%s\\n' ${publicKey} >> "$HOME/.ssh/authorized_keys"
if [ ! -f "$f" ]; then printf '%s' ${JSON.stringify(state)} > "$f.tmp"; mv "$f.tmp" "$f"; fi
cat "$f"`;
}

/** Prints the state file, or nothing. */
export const READ_STATE_SCRIPT = 'cat "$HOME/.cac/box.json" 2>/dev/null; true';

/**
 * Removes what a box left on its host: the containers labelled cac.box=<id> (the box's devcontainers,
 * with every container, network and volume of a Compose project one of them belongs to), its work
 * folder (the checkout and its `.env`), and its state file (only when it names this box). The host goes
 * to the next claimant, so agent logins go first: `wipe` (paths relative to a home) is removed in every
 * home of each running container of the box (whatever backs it: a bind mount or a named volume
 * outlives the container), the volumes the containers mounted are removed, and so are the same paths
 * under the login's home (a dev container bind-mounting `${localEnv:HOME}/.claude`); one still there
 * fails the cleanup, so the host is not freed. Idempotent.
 */
export function cleanupScript(boxId: string, wipe: readonly string[] = []): string {
  const needle = `"boxId":${JSON.stringify(boxId)}`;
  // run as root in a container: builtins and rm only (the image may have little else)
  const inContainer = wipe.length
    ? sh`while IFS=: read -r _u _x _i _g _c h _s; do
  [ -n "$h" ] && [ -d "$h" ] || continue
  for p in ${wipe}; do rm -f "$h/$p"; done
done < /etc/passwd`
    : 'true';
  return sh`set -e
id=${boxId}
if command -v docker >/dev/null 2>&1; then
  if docker info >/dev/null 2>&1; then d=docker
  elif sudo -n docker info >/dev/null 2>&1; then d="sudo -n docker"
  else d=; echo "cac: no Docker engine answers here; no containers removed" >&2
  fi
  if [ -n "$d" ]; then
    ids=$($d ps -aq --filter "label=cac.box=$id")
    # a Compose dev container: only its service container carries cac.box; the project's other
    # services, networks and volumes go with it
    projects=$(for c in $ids; do $d inspect --format '{{index .Config.Labels "com.docker.compose.project"}}' "$c"; done | sort -u)
    for p in $projects; do ids="$ids $($d ps -aq --filter "label=com.docker.compose.project=$p")"; done
    ids=$(printf '%s\n' $ids | sort -u)
    vols=
    for c in $ids; do
      $d exec -u 0 "$c" sh -c ${inContainer} >/dev/null 2>&1 || true
      vols="$vols $($d inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' "$c")"
    done
    if [ -n "$ids" ]; then $d rm -f -v $ids >/dev/null; fi
    for v in $vols; do
      $d volume inspect "$v" >/dev/null 2>&1 || continue
      $d volume rm "$v" >/dev/null 2>&1 || echo "cac: volume $v is in use by another container; not removed" >&2
    done
    for p in $projects; do
      nets=$($d network ls -q --filter "label=com.docker.compose.project=$p")
      if [ -n "$nets" ]; then $d network rm $nets >/dev/null; fi
      vols=$($d volume ls -q --filter "label=com.docker.compose.project=$p")
      if [ -n "$vols" ]; then $d volume rm -f $vols >/dev/null; fi
    done
  fi
fi
rm -rf "$HOME/cac/$id" 2>/dev/null || sudo -n rm -rf "$HOME/cac/$id"
for p in ${wipe}; do rm -f "$HOME/$p" 2>/dev/null || sudo -n rm -f "$HOME/$p"; done
for p in ${wipe}; do if [ -e "$HOME/$p" ] || [ -L "$HOME/$p" ]; then echo "cac: ~/$p is still on the host" >&2; exit 4; fi; done
f="$HOME/.cac/box.json"
if [ -f "$f" ] && grep -qF ${needle} "$f"; then rm -f "$f"; fi`;
}
