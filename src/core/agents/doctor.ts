// `cac agents doctor`: for each of the four agents, host checks (paths found, env names set — never
// values), its rotating login and the live places holding it (token forks), container checks when a
// container runs (binary, version) and the planned actions. The plan is pure; gathering the facts reads
// no file contents (but the shape of a login's credential file: does it rotate) and writes nothing.
import type { AgentKind, OnFork } from '../../domain/kinds.js';
import type { Host } from '../../ports/host.js';
import type { AgentDeps } from './deps.js';
import { effectiveAgents, shownHost, type EffectiveAgent } from './effective-config.js';
import { scanHost, type HostScan } from './host-material.js';
import { forwardedNames, validateHost } from './validate.js';
import { installBlocker } from './install.js';
import { discover, type Discovery } from './discover.js';
import { loginHolders, placesText, type LoginHolders, type LoginPlace } from './forks.js';

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
  /** The agent's rotating login on the host (null: none) and the live containers and boxes holding a copy (two or more: a token fork). */
  login: { file: string; places: LoginPlace[]; onFork: OnFork } | null;
  /** The agent cache for the pinned version: the platforms it is cached for. Null: not cached by cac (no npm preset, or install_command). */
  cache: AgentCacheState | null;
  actions: string[];
}

interface AgentCacheState {
  package: string;
  /** The pinned version ("latest" resolved when it could be). */
  version: string;
  platforms: string[];
  /** Why the version is not exact (latest could not be resolved). */
  problem?: string;
}

export interface DoctorFacts {
  scans: Partial<Record<AgentKind, HostScan>>;
  discovery?: Discovery;
  cache?: Partial<Record<AgentKind, AgentCacheState>>;
  /** Rotating logins on the host and where they are live. */
  logins?: readonly LoginHolders[];
}

export function doctorPlan(deps: Pick<AgentDeps, 'agents' | 'env' | 'hostHome'>, agents: readonly EffectiveAgent[], facts: DoctorFacts): AgentDoctor[] {
  const maxBytes = deps.agents.max_copy_mb * 1024 * 1024;
  return agents.map((a) => {
    const scan = facts.scans[a.kind] ?? emptyScan(a.kind);
    const v = validateHost(a, scan, deps.env, { hostHome: deps.hostHome, maxBytes });
    const shown = (p: string) => shownHost(p, deps.hostHome);
    const d = facts.discovery;
    const login = facts.logins?.find((l) => l.agent === a.kind);
    const fork = login && login.places.length > 1 ? [forkLine(login, deps.hostHome)] : [];
    return {
      agent: a.kind,
      enabled: a.enabled,
      host: {
        validated: v.validated,
        paths: a.material.map((m) => ({ path: shown(m.host), found: !scan.missing.includes(m.host) })),
        files: scan.files.length,
        bytes: scan.totalBytes,
        env: a.envForward.map((name) => ({ name, set: deps.env[name] !== undefined })),
        warnings: [...v.warnings, ...fork],
      },
      login: login ? { file: shown(login.file), places: login.places, onFork: deps.agents[a.kind].on_fork } : null,
      container: d ? { binary: d.bins[a.kind] ?? null, version: d.versions[a.kind] ?? null } : null,
      cache: facts.cache?.[a.kind] ?? null,
      actions: actions(deps, a, scan, v, d, facts.cache?.[a.kind]),
    };
  });
}

function forkLine(l: LoginHolders, hostHome: string): string {
  return `token fork: the login in ${shownHost(l.file, hostHome)} (a rotating refresh token) is live in ${l.places.length} places at once: ${placesText(l.places)}; a refresh in one place logs the others out`;
}

function actions(deps: Pick<AgentDeps, 'agents' | 'env'>, a: EffectiveAgent, scan: HostScan, v: { validated: boolean; copy: boolean }, d?: Discovery, cache?: AgentCacheState): string[] {
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
    const pinned = cache && !cache.problem ? `${a.kind} ${cache.version}` : undefined;
    if (pinned && d?.platform && d.tools.node && cache?.platforms.includes(d.platform)) out.push(`install from the cache: ${pinned} (${d.platform})`);
    else if (blocked) out.push(`warn: ${blocked}`);
    else if (pinned && d?.platform && d.tools.node) out.push(`install from the registry: ${pinned} (${d.platform} is not cached: 'cac agents cache warm')`);
    else out.push(`install${d ? '' : ' if missing'}: ${a.installCommand}${pinned && !d && cache?.platforms.length ? ` (cached for ${cache.platforms.join(', ')})` : ''}`);
  }
  return out;
}

/** Host facts for every agent, and container facts (with versions) when a container host is given. */
export async function gatherFacts(deps: AgentDeps, container?: Host, signal?: AbortSignal): Promise<{ agents: EffectiveAgent[]; facts: DoctorFacts; containerError?: string }> {
  const agents = effectiveAgents(deps.agents, deps.env, deps.hostHome);
  const scans: DoctorFacts['scans'] = {};
  for (const a of agents) scans[a.kind] = await scanHost(a, deps.files);
  const cache = await cacheFacts(deps, agents, signal);
  const logins = await loginHolders(deps, agents);
  if (!container) return { agents, facts: { scans, cache, logins } };
  try {
    const discovery = await discover(container, agents, true, signal);
    return discovery ? { agents, facts: { scans, cache, logins, discovery } } : { agents, facts: { scans, cache, logins }, containerError: 'no home directory reported' };
  } catch (e) {
    if (signal?.aborted) throw e;
    return { agents, facts: { scans, cache, logins }, containerError: e instanceof Error ? e.message : String(e) };
  }
}

// The pinned version of each npm agent and the platforms the cache holds it for.
async function cacheFacts(deps: AgentDeps, agents: readonly EffectiveAgent[], signal?: AbortSignal): Promise<DoctorFacts['cache']> {
  const { cache } = deps;
  if (!cache) return {};
  const entries = await cache.list();
  const out: NonNullable<DoctorFacts['cache']> = {};
  for (const a of agents) {
    if (!a.npm) continue;
    try {
      const version = await cache.resolve(a.npm.package, a.npm.version, signal ? { signal } : {});
      const platforms = entries.filter((e) => e.kind === a.kind && e.version === version).map((e) => e.platform);
      out[a.kind] = { package: a.npm.package, version, platforms };
    } catch (e) {
      if (signal?.aborted) throw e;
      out[a.kind] = { package: a.npm.package, version: a.npm.version, platforms: [], problem: e instanceof Error ? e.message : String(e) };
    }
  }
  return out;
}

function emptyScan(kind: AgentKind): HostScan {
  return { kind, files: [], dirs: [], missing: [], unreadable: [], totalBytes: 0, rootFound: false, truncated: false };
}
