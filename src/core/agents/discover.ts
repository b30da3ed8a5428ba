// Round trip 1: one script run as the remote user finds its real home (from the passwd database,
// never assumed), its uid/gid, and probes every agent's binary (and, for doctor, its version).
import type { AgentKind } from '../../config/kinds.js';
import { quote, quoteArgv } from '../../util/shell.js';
import type { Host } from '../../ports/host.js';
import type { EffectiveAgent } from './effective-config.js';
import { ENV_FILE } from './finish-script.js';

export interface Discovery {
  home: string;
  uid: number;
  gid: number;
  user: string;
  /** Absolute path of each agent's binary, when found on PATH or in ~/.local/bin. */
  bins: Partial<Record<AgentKind, string>>;
  versions: Partial<Record<AgentKind, string>>;
  /** node, npm, curl on PATH. */
  tools: Partial<Record<'node' | 'npm' | 'curl', string>>;
  /** cac's forwarded-env file exists (it is rewritten even when nothing is forwarded any more). */
  envFile: boolean;
}

export const DISCOVER_MARK = '# cac agents: discover';

export function discoverScript(probes: ReadonlyArray<{ kind: AgentKind; names: readonly string[] }>, withVersions: boolean): string {
  const version = withVersions
    ? `v=$(cac_t "$p" --version </dev/null 2>/dev/null | head -n 1); printf 'version\\t%s\\t%s\\n' "$k" "$v"`
    : ':';
  return [
    DISCOVER_MARK,
    'u=$(id -un 2>/dev/null) || u=$(id -u)',
    'h=',
    'if command -v getent >/dev/null 2>&1; then h=$(getent passwd "$u" 2>/dev/null | cut -d: -f6); fi',
    'if [ -z "$h" ] && [ -r /etc/passwd ]; then',
    '  while IFS=: read -r n _ _ _ _ d _; do if [ "$n" = "$u" ]; then h=$d; break; fi; done < /etc/passwd',
    'fi',
    '[ -n "$h" ] || h=${HOME:-/}',
    `printf 'home\\t%s\\n' "$h"`,
    `printf 'ids\\t%s\\t%s\\t%s\\n' "$(id -u)" "$(id -g)" "$u"`,
    'if command -v timeout >/dev/null 2>&1; then cac_t() { timeout 10 "$@"; }; else cac_t() { "$@"; }; fi',
    'cac_probe() {',
    '  k=$1; shift',
    '  for n in "$@"; do',
    '    p=$(command -v "$n" 2>/dev/null) || p=',
    '    case $p in /*) ;; *) p= ;; esac',
    '    if [ -z "$p" ] && [ -x "$h/.local/bin/$n" ]; then p=$h/.local/bin/$n; fi',
    `    if [ -n "$p" ]; then printf 'bin\\t%s\\t%s\\n' "$k" "$p"; ${version}; return 0; fi`,
    '  done',
    '}',
    ...probes.map((p) => `cac_probe ${quote(p.kind)} ${quoteArgv(p.names)}`),
    `if [ -f "$h"/${ENV_FILE} ]; then printf 'envfile\\t1\\n'; fi`,
    `for t in node npm curl; do p=$(command -v "$t" 2>/dev/null) && printf 'tool\\t%s\\t%s\\n' "$t" "$p"; done`,
    'exit 0',
  ].join('\n');
}

/** Parses the script's tab-separated lines; undefined when it did not report a home. */
export function parseDiscovery(stdout: string): Discovery | undefined {
  const d: Discovery = { home: '', uid: -1, gid: -1, user: '', bins: {}, versions: {}, tools: {}, envFile: false };
  for (const line of stdout.split('\n')) {
    const [key, a = '', b = '', c = ''] = line.split('\t');
    if (key === 'home') d.home = a;
    else if (key === 'ids') Object.assign(d, { uid: Number(a), gid: Number(b), user: c });
    else if (key === 'bin' && b) d.bins[a as AgentKind] = b;
    else if (key === 'version' && b) d.versions[a as AgentKind] = b;
    else if (key === 'tool' && b) d.tools[a as 'node'] = b;
    else if (key === 'envfile') d.envFile = true;
  }
  return d.home.startsWith('/') && Number.isInteger(d.uid) && d.uid >= 0 ? d : undefined;
}

/** Runs the script in the container; rejects when it fails, undefined when it reported no home. */
export async function discover(host: Host, agents: readonly EffectiveAgent[], versions: boolean, signal?: AbortSignal): Promise<Discovery | undefined> {
  const script = discoverScript(agents.map((a) => ({ kind: a.kind, names: a.probe })), versions);
  const r = await host.exec(['sh', '-c', script], { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return parseDiscovery(r.stdout);
}
