// Round trip 2 applied: the plan's tar stream into the container, and tar's complaints mapped back to
// the agents whose files they name (one agent's unwritable file is that agent's warning only).
import { isAbortError, isCacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { AgentKind } from '../../config/kinds.js';
import type { CopyPlan } from './plan.js';
import { packEntries } from './tar.js';
import type { Discovery } from './discover.js';
import { shownHost } from './effective-config.js';

export interface CopyOutcome {
  /** Container paths that could not be written. */
  failed: Set<string>;
  warnings: Partial<Record<AgentKind, string[]>>;
}

export async function applyCopy(host: Host, plan: CopyPlan, d: Discovery, signal?: AbortSignal): Promise<CopyOutcome> {
  const out: CopyOutcome = { failed: new Set(), warnings: {} };
  if (plan.entries.length === 0) return out;
  try {
    await host.putFiles(packEntries(plan.entries, d), '/', signal ? { signal } : {});
  } catch (e) {
    if (isAbortError(e)) throw e;
    const stderr = isCacError(e) && typeof e.details?.stderr === 'string' ? e.details.stderr : e instanceof Error ? e.message : String(e);
    mapFailures(plan, stderr, d.home, out);
  }
  return out;
}

// GNU tar: "tar: home/dev/.codex/auth.json: Cannot open: Permission denied"
function mapFailures(plan: CopyPlan, stderr: string, home: string, out: CopyOutcome): void {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^tar: Exiting with failure/.test(l));
  const kinds = Object.keys(plan.copied) as AgentKind[];
  for (const line of lines) {
    const m = /^tar: (.+?): (.+)$/.exec(line);
    const path = m?.[1] ? `/${m[1].replace(/^\/+/, '')}` : undefined;
    const owner = path ? kinds.find((k) => plan.copied[k]?.includes(path)) : undefined;
    if (path && owner) {
      out.failed.add(path);
      (out.warnings[owner] ??= []).push(`could not write ${shownHost(path, home)} in the container: ${m?.[2] ?? ''}`);
    }
  }
  if (out.failed.size > 0) return;
  // nothing attributable: the whole copy failed for every agent that had files to copy
  const reason = lines.at(-1) ?? 'tar failed';
  for (const k of kinds) {
    if (!plan.copied[k]?.length) continue;
    plan.copied[k]?.forEach((p) => out.failed.add(p));
    (out.warnings[k] ??= []).push(`copying into the container failed: ${reason}`);
  }
}
