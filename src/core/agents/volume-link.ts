// Linking an agent's binary from its read-only agent volume inside the injection's one exec: no
// container round trip of its own. Per agent the lines report `link\t<kind>\t<state>…`: absent (no
// volume mounted for the container's platform), refused (a link in the home leads out of it), failed,
// or verify with the exit status and first line of `--version` (the probe before use). Nothing is
// reported when the agent is already on PATH or node is missing: injection then goes on as before.
import type { AgentKind } from '../../domain/kinds.js';
import { quote, quoteArgv } from '../../util/shell.js';

export interface VolumeLink {
  kind: AgentKind;
  version: string;
  /** The volume's path up to its platform (the container's `uname -m`-libc completes it). */
  prefix: string;
  /** The agent's probe names; the first is linked. */
  names: readonly string[];
}

export type LinkReport = { state: 'absent' | 'refused' | 'failed' } | { state: 'verify'; exit: number; line: string };

/** Lines for after discovery (`$h`, `$cac_plat`, cac_which) and the home guard (cac_inside). */
export function volumeLinkLines(links: readonly VolumeLink[]): string[] {
  if (links.length === 0) return [];
  return [
    'if command -v timeout >/dev/null 2>&1; then cac_t() { timeout 30 "$@"; }; else cac_t() { "$@"; }; fi',
    // cac_vlink KIND VOLUME NAME...: links VOLUME/bin/NAME (the first) unless a NAME is already there
    'cac_vlink() {',
    '  cac_k=$1; cac_v=$2; shift 2; cac_n=$1',
    '  for cac_x in "$@"; do cac_which "$cac_x"; if [ -n "$p" ] || [ -x "$h/.local/bin/$cac_x" ]; then return 0; fi; done',
    '  cac_which node; [ -n "$p" ] || return 0',
    `  if [ ! -x "$cac_v/bin/$cac_n" ]; then printf 'link\\t%s\\tabsent\\n' "$cac_k"; return 0; fi`,
    '  for cac_d in "$h/.local" "$h/.local/bin" "$h/.local/bin/$cac_n"; do',
    `    cac_inside "$cac_d" || { printf 'link\\t%s\\trefused\\n' "$cac_k"; return 0; }`,
    '  done',
    `  mkdir -p "$h/.local/bin" 2>/dev/null && ln -sfn "$cac_v/bin/$cac_n" "$h/.local/bin/$cac_n" 2>/dev/null || { printf 'link\\t%s\\tfailed\\n' "$cac_k"; return 0; }`,
    '  cac_o=$(cac_t "$h/.local/bin/$cac_n" --version </dev/null 2>&1); cac_s=$?',
    `  printf 'link\\t%s\\tverify\\t%s\\t%s\\n' "$cac_k" "$cac_s" "$(printf '%s\\n' "$cac_o" | head -n 1)"`,
    '}',
    // the platform completes a volume path: only a plain one
    'case $cac_plat in *[!A-Za-z0-9_-]* | -* | *-) ;; *)',
    ...links.map((l) => `  cac_vlink ${quote(l.kind)} ${quote(l.prefix)}"$cac_plat" ${quoteArgv(l.names.length ? l.names : [l.kind])}`),
    ';; esac',
  ];
}

export function parseLinkReports(stdout: string): Partial<Record<AgentKind, LinkReport>> {
  const out: Partial<Record<AgentKind, LinkReport>> = {};
  for (const line of stdout.split('\n')) {
    const [key, kind = '', state = '', exit = '', ...rest] = line.split('\t');
    if (key !== 'link') continue;
    if (state === 'verify') out[kind as AgentKind] = { state, exit: Number(exit), line: rest.join('\t') };
    else if (state === 'absent' || state === 'refused' || state === 'failed') out[kind as AgentKind] = { state };
  }
  return out;
}

/** undefined: linked and answering with `version`; 'absent': no volume (a fallback, not a problem); else the problem. */
export function linkProblem(r: LinkReport, version: string): string | undefined {
  if (r.state !== 'verify') return { absent: 'absent', refused: 'a symbolic link in the home leads outside it', failed: 'could not link it into ~/.local/bin' }[r.state];
  if (r.exit === 0 && r.line.includes(version)) return undefined;
  return `${r.exit === 124 ? 'timed out' : `exit ${r.exit}`}; \`--version\` printed ${JSON.stringify(r.line)}`;
}
