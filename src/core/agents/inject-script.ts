// The one container exec of an injection (when nothing needs installing): discover the real home and
// probe the binaries, leave alone credentials the agent refreshed since the last injection, extract
// the tar stream arriving on stdin into that home, then finish (env file, profile line, onboarding
// marker). Each part reports tab-separated lines the parser reads back.
import { discoverLines, parseDiscovery, type Discovery, type Probe } from './discover.js';
import { finishLines, type FinishPlan } from './finish-script.js';
import { quote } from '../../util/shell.js';

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
  /** A tar stream comes on stdin; `absolute`: it holds paths outside the home (GNU tar -P). */
  copy?: { absolute: boolean; guards: readonly Guard[] };
  finish: FinishPlan;
}

export interface InjectOutput {
  discovery: Discovery | undefined;
  /** tar's exit status, when there was a copy. */
  tarExit?: number;
  /** tar's complaints, one per line. */
  tarErrors: string[];
  /** Guarded credentials the agent changed in the container, by guard index: their current bytes. */
  kept: Map<number, Buffer>;
  finishExit?: number;
}

export function injectScript(plan: InjectScriptPlan): string {
  const copy = plan.copy
    ? [
        'set --',
        ...plan.copy.guards.map((g, i) => `cac_keep ${i} ${quote(g.name)} ${quote(g.sentHash)} && set -- "$@" ${quote(`--exclude=${g.name}`)}`),
        // --no-same-owner: files belong to the user running tar, i.e. the remote user
        `cac_err=$(tar -x -p --no-same-owner ${plan.copy.absolute ? '-P ' : ''}--no-wildcards "$@" -f - -C "$h" 2>&1 >/dev/null)`,
        `printf 'tar\\t%s\\n' "$?"`,
        `printf '%s\\n' "$cac_err" | while IFS= read -r l; do if [ -n "$l" ]; then printf 'tarerr\\t%s\\n' "$l"; fi; done`,
      ]
    : [];
  const keep = plan.copy?.guards.length ? KEEP : [];
  return [INJECT_MARK, ...discoverLines(plan.probes, false), ...keep, ...copy, ...finishLines(plan.finish), 'exit 0'].join('\n');
}

// cac_keep INDEX NAME SENT_HASH: succeeds (after printing the file) when the agent changed it, and
// the caller then excludes it from extraction
const KEEP = [
  'cac_keep() {',
  '  case $2 in /*) f=$2 ;; *) f=$h/$2 ;; esac',
  '  [ -f "$f" ] || return 1',
  "  s=$(sha256sum < \"$f\" 2>/dev/null | cut -d' ' -f1)",
  '  if [ -z "$s" ] || [ "$s" = "$3" ]; then return 1; fi',
  `  printf 'kept\\t%s\\t' "$1"; base64 < "$f" | tr -d '\\n'; printf '\\n'`,
  '}',
];

export function parseInjectOutput(stdout: string): InjectOutput {
  const out: InjectOutput = { discovery: parseDiscovery(stdout), tarErrors: [], kept: new Map() };
  for (const line of stdout.split('\n')) {
    const [key, value = ''] = line.split('\t');
    if (key === 'tar') out.tarExit = Number(value);
    else if (key === 'tarerr') out.tarErrors.push(line.slice('tarerr\t'.length));
    else if (key === 'finish') out.finishExit = Number(value);
    else if (key === 'kept') out.kept.set(Number(value), Buffer.from(line.split('\t')[2] ?? '', 'base64'));
  }
  return out;
}
