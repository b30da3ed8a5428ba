// `exec` into a dev container without `devcontainer exec`. The reference CLI probes the remote user's
// login environment (its userEnvProbe) and hands every variable to `docker exec` as `-e NAME=value`: a
// command line any local user can read in /proc/<pid>/cmdline, on this machine and on a box. Here the
// same steps run with docker directly: the probe's output comes back on stdout, and every value travels
// in the docker client's ENVIRONMENT under a neutral transport name (`-e CAC_X_<NAME>`, no `=`), which a
// fixed /bin/sh prelude in the container renames back before it execs the command. The transport names
// also keep container-chosen variables (PATH, DOCKER_HOST, LD_PRELOAD …) out of the docker client's own
// settings. Forwarded agent variables never leave the container: a probe (an interactive shell without a
// terminal) skips ~/.cac/agents.env, and the prelude sources it.
import { randomUUID } from 'node:crypto';
import { quote } from '../../util/shell.js';

/** What the devcontainer configuration says about running a command (from `read-configuration`). */
export interface ExecSettings {
  /** `remoteUser`; absent: the container's own user. */
  user?: string;
  /** The workspace folder inside the container. */
  folder?: string;
  /** `remoteEnv`, already substituted (`${containerEnv:…}`, `${localEnv:…}`). */
  remoteEnv: Record<string, string>;
  /** `userEnvProbe`: loginInteractiveShell (the spec's default), loginShell, interactiveShell or none. */
  probe: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TRANSPORT = 'CAC_X_';

/** `read-configuration --include-merged-configuration` output → exec settings. */
export function execSettings(stdout: string): ExecSettings | undefined {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) return undefined;
  let doc: { workspace?: { workspaceFolder?: unknown }; mergedConfiguration?: { remoteUser?: unknown; remoteEnv?: unknown; userEnvProbe?: unknown } };
  try {
    doc = JSON.parse(line) as typeof doc;
  } catch {
    return undefined;
  }
  const merged = doc.mergedConfiguration ?? {};
  const remoteEnv: Record<string, string> = {};
  if (merged.remoteEnv && typeof merged.remoteEnv === 'object') {
    for (const [k, v] of Object.entries(merged.remoteEnv as Record<string, unknown>)) if (typeof v === 'string') remoteEnv[k] = v;
  }
  const folder = doc.workspace?.workspaceFolder;
  return {
    ...(typeof merged.remoteUser === 'string' && merged.remoteUser ? { user: merged.remoteUser } : {}),
    ...(typeof folder === 'string' && folder ? { folder } : {}),
    remoteEnv,
    probe: typeof merged.userEnvProbe === 'string' ? merged.userEnvProbe : 'loginInteractiveShell',
  };
}

// Args: probe kind, mark. The user's shell as the CLI finds it: $SHELL of the container, else passwd's.
const PROBE = `u=$(id -un 2>/dev/null)
s=\${SHELL:-}
[ -n "$s" ] || s=$( { getent passwd "$u" || grep "^$u:" /etc/passwd; } 2>/dev/null | head -n 1 | cut -d: -f7)
[ -n "$s" ] && [ -x "$s" ] || s=/bin/sh
case $1 in loginInteractiveShell) f=-lic ;; loginShell) f=-lc ;; interactiveShell) f=-ic ;; *) f=-c ;; esac
exec "$s" "$f" "echo -n $2; cat /proc/self/environ; echo -n $2"`;

/** The in-container argv of the user-env probe and the mark that brackets its output; none for `none`. */
export function probeCommand(kind: string, mark: string = randomUUID()): { argv: string[]; mark: string } | undefined {
  if (kind === 'none') return undefined;
  return { argv: ['/bin/sh', '-c', PROBE, 'sh', kind, mark], mark };
}

/** The probed environment (NUL-separated between two marks); PWD dropped as the CLI does. */
export function parseProbe(stdout: string, mark: string): Record<string, string> {
  const start = stdout.indexOf(mark);
  const end = stdout.lastIndexOf(mark);
  if (start < 0 || end <= start) return {};
  const env: Record<string, string> = {};
  for (const entry of stdout.slice(start + mark.length, end).split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  delete env.PWD;
  return env;
}

export interface ExecCall {
  /** `docker exec …` argv: names only, never a value. */
  argv: string[];
  /** The docker client's extra environment: the values, under transport names. */
  env: Record<string, string>;
  /** Variables left out because their names cannot be exported by sh (e.g. bash's BASH_FUNC_x%%). */
  dropped: string[];
}

/** The `docker exec` that runs `command` with `env` in the container, values out of argv. */
export function execCall(opts: {
  docker: string;
  containerId: string;
  command: readonly string[];
  env: Record<string, string>;
  user?: string;
  folder?: string;
  stdin: boolean;
  tty: boolean;
  /** Files under the user's home sourced before the command when present (cac's forwarded agent variables). */
  sourceFiles?: readonly string[];
}): ExecCall {
  const names = Object.keys(opts.env).filter((n) => NAME.test(n));
  const dropped = Object.keys(opts.env).filter((n) => !NAME.test(n));
  // names are identifiers by the check above: the prelude is fixed text around them, never a value
  const prelude = [
    ...names.map((n) => `export ${n}="$${TRANSPORT}${n}"; unset ${TRANSPORT}${n}`),
    ...(opts.sourceFiles ?? []).map((f) => `if [ -r "$HOME"/${quote(f)} ]; then . "$HOME"/${quote(f)}; fi`),
    'exec "$@"',
  ].join('\n');
  const argv = [
    opts.docker,
    'exec',
    ...(opts.stdin ? ['-i'] : []),
    ...(opts.tty ? ['-t'] : []),
    ...(opts.user ? ['-u', opts.user] : []),
    ...(opts.folder ? ['-w', opts.folder] : []),
    ...names.flatMap((n) => ['-e', `${TRANSPORT}${n}`]),
    opts.containerId,
    '/bin/sh',
    '-c',
    prelude,
    'sh',
    ...opts.command,
  ];
  return { argv, env: Object.fromEntries(names.map((n) => [`${TRANSPORT}${n}`, opts.env[n] ?? ''])), dropped };
}

// Args: the command. The user's shell found as the probe finds it, run as a login shell around the
// command: the same PATH and profile a probe would read, in the same exec, with no value on its way out.
const LOGIN = `u=$(id -un 2>/dev/null)
s=\${SHELL:-}
[ -n "$s" ] || s=$( { getent passwd "$u" || grep "^$u:" /etc/passwd; } 2>/dev/null | head -n 1 | cut -d: -f7)
[ -n "$s" ] && [ -x "$s" ] || s=/bin/sh
exec "$s" -lc 'exec "$@"' "$s" "$@"`;

/**
 * `docker exec` of `command` through the user's login shell, from what is already known of the container
 * (its id, remote user and workspace folder): no configuration read, no separate environment probe.
 * Nothing is forwarded on the command line; `sourceFiles` (cac's agent env file) are sourced first.
 */
export function loginExecCall(opts: {
  docker: string;
  containerId: string;
  command: readonly string[];
  user?: string;
  folder?: string;
  stdin: boolean;
  tty: boolean;
  sourceFiles?: readonly string[];
}): ExecCall {
  return execCall({ ...opts, env: {}, command: ['/bin/sh', '-c', LOGIN, 'sh', ...opts.command] });
}
