// tar's complaints mapped back to the agents whose files they name (one agent's unwritable file is
// that agent's warning only); anything unattributable fails the copy of every agent that had files.
import type { AgentKind } from '../../domain/kinds.js';
import type { CopyPlan } from './plan.js';

export interface CopyOutcome {
  /** Container paths (`~/…` or absolute) that could not be written. */
  failed: Set<string>;
  warnings: Partial<Record<AgentKind, string[]>>;
}

/** `tarExit` undefined: the script never got to tar (the exec itself failed). */
export function copyOutcome(plan: CopyPlan, tarExit: number | undefined, tarErrors: readonly string[]): CopyOutcome {
  const out: CopyOutcome = { failed: new Set(), warnings: {} };
  if (plan.entries.length === 0 || tarExit === 0) return out;
  const kinds = Object.keys(plan.copied) as AgentKind[];
  const lines = tarErrors.filter((l) => !/^tar: Exiting with failure/.test(l));
  for (const line of lines) {
    // GNU tar: "tar: .codex/auth.json: Cannot open: Permission denied"
    const m = /^tar: (.+?): (.+)$/.exec(line);
    const path = m?.[1] ? (m[1].startsWith('/') ? m[1] : `~/${m[1]}`) : undefined;
    const owner = path ? kinds.find((k) => plan.copied[k]?.includes(path)) : undefined;
    if (!path || !owner) continue;
    out.failed.add(path);
    (out.warnings[owner] ??= []).push(`could not write ${path} in the container: ${m?.[2] ?? ''}`);
  }
  if (out.failed.size > 0) return out;
  const reason = lines.at(-1) ?? (tarExit === undefined ? 'the container exec failed' : `tar exit ${tarExit}`);
  for (const k of kinds) {
    if (!plan.copied[k]?.length) continue;
    plan.copied[k]?.forEach((p) => out.failed.add(p));
    (out.warnings[k] ??= []).push(`copying into the container failed: ${reason}`);
  }
  return out;
}
