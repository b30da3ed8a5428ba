// `cac agents doctor`: for each of the four agents, host checks (paths found, env names set — never
// values), container checks when a container runs (binary, version) and the planned actions. The
// plan is pure; gathering the facts reads no file contents and writes nothing.
import type { AgentKind } from '../../domain/kinds.js';
import type { Host } from '../../ports/host.js';
import type { AgentDeps } from './deps.js';
import { effectiveAgents, shownHost, type EffectiveAgent } from './effective-config.js';
import { scanHost, type HostScan } from './host-material.js';
import { forwardedNames, validateHost } from './validate.js';
import { installBlocker } from './install.js';
import { discover, type Discovery } from './discover.js';

export interface AgentDoctor {
  agent: AgentKind;
  enabled: boolean;
  host: {
    validated: boolean;
    paths: Array<{ path: string; found: boolean }>;
    files: number;
    bytes: number;
    env: Array<{ name: string; set: boolean }>;
    warnings: string[];
  };
  /** Null when no container runs. */
  container: { binary: string | null; version: string | null } | null;
  actions: string[];
}

export interface DoctorFacts {
  scans: Partial<Record<AgentKind, HostScan>>;
  discovery?: Discovery;
}

export function doctorPlan(deps: Pick<AgentDeps, 'agents' | 'env' | 'hostHome'>, agents: readonly EffectiveAgent[], facts: DoctorFacts): AgentDoctor[] {
  const maxBytes = deps.agents.max_copy_mb * 1024 * 1024;
  return agents.map((a) => {
    const scan = facts.scans[a.kind] ?? emptyScan(a.kind);
    const v = validateHost(a, scan, deps.env, { hostHome: deps.hostHome, maxBytes });
    const shown = (p: string) => shownHost(p, deps.hostHome);
    const d = facts.discovery;
    return {
      agent: a.kind,
      enabled: a.enabled,
      host: {
        validated: v.validated,
        paths: a.material.map((m) => ({ path: shown(m.host), found: !scan.missing.includes(m.host) })),
        files: scan.files.length,
        bytes: scan.totalBytes,
        env: a.envForward.map((name) => ({ name, set: deps.env[name] !== undefined })),
        warnings: v.warnings,
      },
      container: d ? { binary: d.bins[a.kind] ?? null, version: d.versions[a.kind] ?? null } : null,
      actions: actions(deps, a, scan, v, d),
    };
  });
}

function actions(deps: Pick<AgentDeps, 'agents' | 'env'>, a: EffectiveAgent, scan: HostScan, v: { validated: boolean; copy: boolean }, d?: Discovery): string[] {
  if (!deps.agents.enabled) return ['none: [agents] enabled = false'];
  if (!a.enabled) return [`none: [agents.${a.kind}] enabled = false`];
  if (!v.validated) return ['none: host prerequisites missing (see warnings)'];
  const out: string[] = [];
  if (v.copy) out.push(`copy ${scan.files.length} file(s) to ${a.containerRoot}`);
  const names = forwardedNames(a, deps.env);
  if (names.length) out.push(`forward ${names.join(', ')}`);
  const bin = d?.bins[a.kind];
  if (bin) out.push(`use ${bin}`);
  else if (!a.install) out.push(`warn: ${a.probe[0]} not installed (install = false)`);
  else {
    const blocked = d ? installBlocker(a.installCommand, d) : undefined;
    out.push(blocked ? `warn: ${blocked}` : `install${d ? '' : ' if missing'}: ${a.installCommand}`);
  }
  return out;
}

/** Host facts for every agent, and container facts (with versions) when a container host is given. */
export async function gatherFacts(deps: AgentDeps, container?: Host, signal?: AbortSignal): Promise<{ agents: EffectiveAgent[]; facts: DoctorFacts; containerError?: string }> {
  const agents = effectiveAgents(deps.agents, deps.env, deps.hostHome);
  const scans: DoctorFacts['scans'] = {};
  for (const a of agents) scans[a.kind] = await scanHost(a, deps.files);
  if (!container) return { agents, facts: { scans } };
  try {
    const discovery = await discover(container, agents, true, signal);
    return discovery ? { agents, facts: { scans, discovery } } : { agents, facts: { scans }, containerError: 'no home directory reported' };
  } catch (e) {
    if (signal?.aborted) throw e;
    return { agents, facts: { scans }, containerError: e instanceof Error ? e.message : String(e) };
  }
}

function emptyScan(kind: AgentKind): HostScan {
  return { kind, files: [], dirs: [], missing: [], unreadable: [], totalBytes: 0, rootFound: false, truncated: false };
}
