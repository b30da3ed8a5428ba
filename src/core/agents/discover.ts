// Discovery, run as the remote user: its real home (from the passwd database, never assumed), its
// uid/gid, every agent's binary (and, for doctor, its version), and node/npm/curl. The lines set `$h`
// for the script parts that follow them (copy, finish).
import type { AgentKind } from '../../domain/kinds.js';
import type { Host } from '../../ports/host.js';
import { quote, quoteArgv } from '../../util/shell.js';
import type { EffectiveAgent } from './effective-config.js';

export interface Discovery {
  home: string;
  uid: number;
  gid: number;
  user: string;
  /** Absolute path of each agent's binary, when found on PATH or in ~/.local/bin. */
  bins: Partial<Record<AgentKind, string>>;
  versions: Partial<Record<AgentKind, string>>;
  /** `uname -m` and libc (`x86_64-gnu`): the agent cache's platform key. Absent when not reported. */
  platform?: string;
  /** node, npm, curl on PATH. */
  tools: Partial<Record<'node' | 'npm' | 'curl', string>>;
}

export type Probe = { kind: AgentKind; names: readonly string[] };

// container output is untrusted: the platform becomes part of a cache file name
const PLATFORM = /^[A-Za-z0-9_]{1,32}-(gnu|musl)$/;

export const DISCOVER_MARK = '# cac agents: discover';

export const probesOf = (agents: readonly EffectiveAgent[]): Probe[] => agents.map((a) => ({ kind: a.kind, names: a.probe }));

// Few forks on purpose: this runs on every injection (the PATH walk and the passwd read are sh only).
export function discoverLines(probes: readonly Probe[], withVersions: boolean): string[] {
  const version = withVersions
    ? [
        'if command -v timeout >/dev/null 2>&1; then cac_t() { timeout 10 "$@"; }; else cac_t() { "$@"; }; fi',
        `cac_version() { v=$(cac_t "$2" --version </dev/null 2>/dev/null | head -n 1); printf 'version\\t%s\\t%s\\n' "$1" "$v"; }`,
      ]
    : ['cac_version() { :; }'];
  return [
    'cac_id=$(id)',
    'cac_uid=${cac_id#uid=}; cac_uid=${cac_uid%%[!0-9]*}',
    'cac_gid=${cac_id#*gid=}; cac_gid=${cac_gid%%[!0-9]*}',
    // the user name, or the bare uid when the passwd database has no entry for it
    'cac_u=${cac_id%% *}',
    'case $cac_u in *"("*) u=${cac_u#*"("}; u=${u%")"} ;; *) u=$cac_uid ;; esac',
    'h=',
    'if [ -r /etc/passwd ]; then',
    '  while IFS=: read -r n _ _ _ _ d _; do if [ "$n" = "$u" ]; then h=$d; break; fi; done < /etc/passwd',
    'fi',
    'if [ -z "$h" ] && command -v getent >/dev/null 2>&1; then h=$(getent passwd "$u" 2>/dev/null | cut -d: -f6); fi',
    '[ -n "$h" ] || h=${HOME:-/}',
    `printf 'home\\t%s\\n' "$h"`,
    `printf 'ids\\t%s\\t%s\\t%s\\n' "$cac_uid" "$cac_gid" "$u"`,
    // cac_which NAME: sets p to its absolute path on PATH, else empty
    'cac_which() { p=; set -f; cac_ifs=$IFS; IFS=:; for cac_d in $PATH; do if [ -n "$cac_d" ] && [ -f "$cac_d/$1" ] && [ -x "$cac_d/$1" ]; then p=$cac_d/$1; break; fi; done; IFS=$cac_ifs; set +f; }',
    ...version,
    'cac_probe() {',
    '  k=$1; shift',
    '  for n in "$@"; do',
    '    cac_which "$n"',
    '    if [ -z "$p" ] && [ -x "$h/.local/bin/$n" ]; then p=$h/.local/bin/$n; fi',
    `    if [ -n "$p" ]; then printf 'bin\\t%s\\t%s\\n' "$k" "$p"; cac_version "$k" "$p"; return 0; fi`,
    '  done',
    '}',
    ...probes.map((p) => `cac_probe ${quote(p.kind)} ${quoteArgv(p.names)}`),
    // the cache key's platform: one fork (uname); musl by its loader, else glibc
    'cac_libc=gnu; for cac_f in /lib/ld-musl-*; do [ -e "$cac_f" ] && cac_libc=musl; done',
    'cac_plat=$(uname -m 2>/dev/null)-$cac_libc',
    `printf 'platform\\t%s\\n' "$cac_plat"`,
    `for t in node npm curl; do cac_which "$t"; if [ -n "$p" ]; then printf 'tool\\t%s\\t%s\\n' "$t" "$p"; fi; done`,
  ];
}

/** Discovery alone (doctor), with versions when asked. */
export function discoverScript(probes: readonly Probe[], withVersions: boolean): string {
  return [DISCOVER_MARK, ...discoverLines(probes, withVersions), 'exit 0'].join('\n');
}

/** Parses the discovery lines (other lines are ignored); undefined when no home was reported. */
export function parseDiscovery(stdout: string): Discovery | undefined {
  const d: Discovery = { home: '', uid: -1, gid: -1, user: '', bins: {}, versions: {}, tools: {} };
  for (const line of stdout.split('\n')) {
    const [key, a = '', b = '', c = ''] = line.split('\t');
    if (key === 'home') d.home = a;
    else if (key === 'ids') Object.assign(d, { uid: Number(a), gid: Number(b), user: c });
    else if (key === 'bin' && b) d.bins[a as AgentKind] = b;
    else if (key === 'version' && b) d.versions[a as AgentKind] = b;
    else if (key === 'tool' && b) d.tools[a as 'node'] = b;
    else if (key === 'platform' && PLATFORM.test(a)) d.platform = a;
  }
  return d.home.startsWith('/') && Number.isInteger(d.uid) && d.uid >= 0 ? d : undefined;
}

/** Runs discovery alone in the container; rejects when it fails, undefined when it reported no home. */
export async function discover(host: Host, agents: readonly EffectiveAgent[], versions: boolean, signal?: AbortSignal): Promise<Discovery | undefined> {
  const r = await host.exec(['sh', '-c', discoverScript(probesOf(agents), versions)], { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return parseDiscovery(r.stdout);
}
