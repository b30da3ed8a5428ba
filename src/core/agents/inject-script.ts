// The one container exec of an injection (when nothing needs installing): discover the real home and
// probe the binaries, refuse paths a symbolic link leads out of the home, leave alone credentials the
// agent refreshed since the last injection, extract the tar stream arriving on stdin into that home,
// then finish (env file, profile line, onboarding marker). Each part reports tab-separated lines the
// parser reads back.
import { discoverLines, parseDiscovery, type Discovery, type Probe } from './discover.js';
import { finishLines, parseRefusedFiles, type FinishPlan } from './finish-script.js';
import { homeGuardLines } from './home-guard.js';
import { MAX_CREDENTIAL_BYTES } from './credential-check.js';
import { quote } from '../../util/shell.js';
import type { AgentKind } from '../../domain/kinds.js';
import { parseLinkReports, volumeLinkLines, type LinkReport, type VolumeLink } from './volume-link.js';

export const INJECT_MARK = '# cac agents: inject';

/** A credential already injected into this container: if the agent changed it since (its hash is no
 * longer `sentHash`), it is reported back and NOT overwritten (pitfall 4: rotated refresh tokens). */
export interface Guard {
  /** The tar member name (`.codex/auth.json`, or an absolute path). */
  name: string;
  sentHash: string;
}

export interface InjectScriptPlan {
  probes: readonly Probe[];
  /** A tar stream comes on stdin; `absolute`: it holds paths outside the home (GNU tar -P); `roots`:
   * the top-most member names (every member is one of them or under one), checked for links. */
  copy?: { absolute: boolean; roots: readonly string[]; guards: readonly Guard[] };
  finish: FinishPlan;
  /** Agents whose binary is linked from a mounted agent volume when missing (before finishing puts ~/.local/bin on PATH). */
  links?: readonly VolumeLink[];
}

/** Tar members left out because a link on their way leaves the home: `under` undefined = the whole
 * root; else the path below the root (`/prompts`) of the link, and everything under it. */
export interface RefusedMember {
  root: number;
  under?: string;
}

export interface InjectOutput {
  discovery: Discovery | undefined;
  /** tar's exit status, when there was a copy. */
  tarExit?: number;
  /** tar's complaints, one per line. */
  tarErrors: string[];
  /** Guarded credentials the agent changed in the container, by guard index: their current bytes. */
  kept: Map<number, Buffer>;
  refused: RefusedMember[];
  /** Files finishing did not write (`~/.cac/agents.env`, `~/.profile`, …): a link leaves the home. */
  refusedFiles: string[];
  finishExit?: number;
  /** What each planned volume link reported (none: the agent was found, or node is missing). */
  links: Partial<Record<AgentKind, LinkReport>>;
}

export function injectScript(plan: InjectScriptPlan): string {
  const copy = plan.copy
    ? [
        'set --',
        ...refuseLines(plan.copy.roots),
        ...plan.copy.guards.map((g, i) => `cac_keep ${i} ${quote(g.name)} ${quote(g.sentHash)} && set -- "$@" ${quote(`--exclude=${g.name}`)}`),
        // --no-same-owner: files belong to the user running tar, i.e. the remote user; --anchored: an
        // exclusion is that member and what is under it, never a same-named file elsewhere
        `cac_err=$(tar -x -p --no-same-owner ${plan.copy.absolute ? '-P ' : ''}--no-wildcards --anchored "$@" -f - -C "$h" 2>&1 >/dev/null)`,
        `printf 'tar\\t%s\\n' "$?"`,
        `printf '%s\\n' "$cac_err" | while IFS= read -r l; do if [ -n "$l" ]; then printf 'tarerr\\t%s\\n' "$l"; fi; done`,
      ]
    : [];
  const keep = plan.copy?.guards.length ? KEEP : [];
  return [INJECT_MARK, ...discoverLines(plan.probes, false), ...homeGuardLines(), ...keep, ...copy, ...volumeLinkLines(plan.links ?? []), ...finishLines(plan.finish), 'exit 0'].join('\n');
}

// Each root: refused whole when a link on its way leaves the home; else every link below it that
// leaves the home is excluded with what is under it (tar itself would replace a link at a member's
// place, but follows one above it; refusing both keeps one rule and names it in a warning). No `find`
// in the image: only the roots are checked. A container file name is reported base64-encoded, never raw.
function refuseLines(roots: readonly string[]): string[] {
  if (roots.length === 0) return [];
  return [
    'cac_i=0',
    `for cac_n in ${roots.map(quote).join(' ')}; do`,
    '  case $cac_n in /*) cac_p=$cac_n ;; *) cac_p=$h/$cac_n ;; esac',
    '  if ! cac_inside "$cac_p"; then',
    `    printf 'refused\\t%s\\t\\n' "$cac_i"; set -- "$@" "--exclude=$cac_n"`,
    '  elif [ -d "$cac_p" ] && case $cac_p in "$h"/*) true ;; *) false ;; esac; then',
    '    cac_links=$(find -H "$cac_p" -type l 2>/dev/null)',
    '    while IFS= read -r cac_l; do',
    '      if [ -z "$cac_l" ] || cac_inside "$cac_l"; then continue; fi',
    '      cac_s=${cac_l#"$cac_p"}',
    '      set -- "$@" "--exclude=$cac_n$cac_s"',
    `      printf 'refused\\t%s\\t' "$cac_i"; printf '%s' "$cac_s" | base64 | tr -d '\\n'; printf '\\n'`,
    '    done <<CAC_LINKS',
    '$cac_links',
    'CAC_LINKS',
    '  fi',
    '  cac_i=$((cac_i + 1))',
    'done',
  ];
}

// cac_keep INDEX NAME SENT_HASH: succeeds (after printing the file) when the agent changed it, and
// the caller then excludes it from extraction. A link is never read (and tar replaces it).
const KEEP = [
  'cac_keep() {',
  '  case $2 in /*) f=$2 ;; *) f=$h/$2 ;; esac',
  '  if [ -L "$f" ] || [ ! -f "$f" ] || ! cac_inside "$f"; then return 1; fi',
  '  s=$(sha256sum < "$f" 2>/dev/null | cut -d\' \' -f1)',
  '  if [ -z "$s" ] || [ "$s" = "$3" ]; then return 1; fi',
  `  printf 'kept\\t%s\\t' "$1"; head -c ${MAX_CREDENTIAL_BYTES + 1} < "$f" | base64 | tr -d '\\n'; printf '\\n'`,
  '}',
];

export function parseInjectOutput(stdout: string): InjectOutput {
  const out: InjectOutput = { discovery: parseDiscovery(stdout), tarErrors: [], kept: new Map(), refused: [], refusedFiles: parseRefusedFiles(stdout), links: parseLinkReports(stdout) };
  for (const line of stdout.split('\n')) {
    const [key, value = '', third = ''] = line.split('\t');
    if (key === 'refused') out.refused.push({ root: Number(value), ...(third ? { under: Buffer.from(third, 'base64').toString('utf8') } : {}) });
    else if (key === 'tar') out.tarExit = Number(value);
    else if (key === 'tarerr') out.tarErrors.push(line.slice('tarerr\t'.length));
    else if (key === 'finish') out.finishExit = Number(value);
    else if (key === 'kept') out.kept.set(Number(value), Buffer.from(line.split('\t')[2] ?? '', 'base64'));
  }
  return out;
}
