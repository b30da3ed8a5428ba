// Agent injection. Per enabled agent: validate host prerequisites → copy host material → forward
// allow-listed env → probe the binary → install if missing → record the result. Every failure is a
// warning for that agent only; the lifecycle command's exit code is unaffected. When nothing needs
// installing this is at most 3 container round trips for all agents: discover, one tar, finish.
import { isAbortError } from '../../errors.js';
import type { AgentKind } from '../../config/kinds.js';
import type { Host } from '../../ports/host.js';
import type { AgentEvent, AgentResult, ContainerTarget } from './result.js';
import type { AgentDeps } from './deps.js';
import { effectiveAgents, type EffectiveAgent } from './effective-config.js';
import { readScanned, scanHost, type HostScan } from './host-material.js';
import { forwardedNames, validateHost, type Validation } from './validate.js';
import { discover, type Discovery } from './discover.js';
import { planCopy } from './plan.js';
import { applyCopy } from './copy.js';
import { install } from './install.js';
import { finishScript } from './finish-script.js';
import { mergeRecord, readRecord, recordPath, writeRecord } from './record.js';
import { agentLine, closingLine, headerLine } from './summary.js';

export interface InjectOptions {
  /** The lifecycle event; gated by on_start / on_rebuild. Absent for `cac agents sync`. */
  event?: AgentEvent;
  /** Only these agents, enabled in config or not (`agents sync --agent`). */
  only?: readonly AgentKind[];
  signal?: AbortSignal;
}

interface AgentState {
  agent: EffectiveAgent;
  scan: HostScan;
  v: Validation;
  names: string[];
  warnings: string[];
  copied: string[];
  installed: boolean;
}

/** The agents an injection would handle: the enabled ones, or exactly `only`. */
export function selectAgents(deps: Pick<AgentDeps, 'agents' | 'env' | 'hostHome'>, only?: readonly AgentKind[]): EffectiveAgent[] {
  const all = effectiveAgents(deps.agents, deps.env, deps.hostHome);
  return only ? all.filter((a) => only.includes(a.kind)) : all.filter((a) => a.enabled);
}

export async function inject(deps: AgentDeps, target: ContainerTarget, opts: InjectOptions = {}): Promise<AgentResult[]> {
  const agents = selectAgents(deps, opts.only);
  if (agents.length === 0) return [];
  if (opts.event && !(opts.event === 'start' ? deps.agents.on_start : deps.agents.on_rebuild)) {
    deps.reporter.emit({ type: 'info', message: `Agent injection skipped (${opts.event === 'start' ? 'on_start' : 'on_rebuild'} = false)` });
    return agents.map((a) => ({ agent: a.kind, status: 'skipped', validated: false, copied: [], installed: false, warnings: [] }));
  }
  deps.reporter.emit({ type: 'info', message: headerLine(agents.map((a) => a.kind)) });
  const states: AgentState[] = [];
  for (const agent of agents) states.push(await hostSide(deps, agent));
  await containerSide(deps, deps.container(target), target, states, opts.signal);
  const results = states.map(toResult);
  for (const r of results) deps.reporter.emit({ type: 'info', message: agentLine(r) });
  const closing = closingLine(results);
  if (closing) deps.reporter.emit({ type: 'info', message: closing });
  return results;
}

async function hostSide(deps: AgentDeps, agent: EffectiveAgent): Promise<AgentState> {
  const scan = await scanHost(agent, deps.files);
  const maxBytes = deps.agents.max_copy_mb * 1024 * 1024;
  if (scan.totalBytes <= maxBytes) await readScanned(scan, deps.files);
  const v = validateHost(agent, scan, deps.env, { hostHome: deps.hostHome, maxBytes });
  return { agent, scan, v, names: forwardedNames(agent, deps.env), warnings: [...v.warnings], copied: [], installed: false };
}

async function containerSide(deps: AgentDeps, host: Host, target: ContainerTarget, states: AgentState[], signal?: AbortSignal): Promise<void> {
  const live = states.filter((s) => s.v.validated);
  if (live.length === 0) return;
  const found = await step(() => discover(host, live.map((s) => s.agent), false, signal));
  const d = found.ok ? found.value : undefined;
  if (!d) {
    const why = found.ok ? 'no home directory reported' : found.error;
    live.forEach((s) => s.warnings.push(`cannot inspect the container as ${target.remoteUser}: ${why}`));
    return;
  }
  await copyStep(deps, host, target, live, d, signal);
  let localBin = Object.values(d.bins).some((p) => p.startsWith(`${d.home}/.local/bin/`));
  for (const s of live) localBin = (await installStep(deps, host, s, d, signal)) || localBin;
  const names = [...new Set(live.flatMap((s) => s.names))];
  const claude = live.find((s) => s.agent.kind === 'claude');
  const claudeOnboarding = claude !== undefined && !claude.copied.includes(`${d.home}/.claude.json`);
  const writeEnv = names.length > 0 || localBin || d.envFile;
  if (!writeEnv && !claudeOnboarding) return;
  const script = finishScript({ home: d.home, writeEnv, names, claudeOnboarding });
  const r = await step(() => host.exec(['sh', '-c', script], { env: pick(deps.env, names), timeoutMs: 60_000, ...(signal ? { signal } : {}) }));
  const why = !r.ok ? r.error : r.value.exitCode !== 0 ? `exit ${r.value.exitCode}: ${lastLine(r.value.stderr)}` : undefined;
  if (why) live.forEach((s) => s.warnings.push(`could not write the forwarded environment: ${why}`));
}

async function copyStep(deps: AgentDeps, host: Host, target: ContainerTarget, live: AgentState[], d: Discovery, signal?: AbortSignal): Promise<void> {
  const plan = planCopy(live.filter((s) => s.v.copy), d.home, target);
  const out = await applyCopy(host, plan, d, signal);
  for (const s of live) {
    s.copied = (plan.copied[s.agent.kind] ?? []).filter((p) => !out.failed.has(p));
    s.warnings.push(...(plan.notes[s.agent.kind] ?? []), ...(out.warnings[s.agent.kind] ?? []));
  }
  const path = recordPath(deps.stateDir, target.workspace);
  const saved = await step(async () => {
    const next = { containerId: target.containerId, workspace: target.workspace, remoteWorkspaceFolder: target.remoteWorkspaceFolder, home: d.home };
    const synced = plan.synced.filter((f) => !out.failed.has(f.container));
    await writeRecord(deps.files, path, mergeRecord(await readRecord(deps.files, path), next, live.map((s) => s.agent.kind), synced));
  });
  if (!saved.ok) live.filter((s) => s.copied.length).forEach((s) => s.warnings.push(`could not record credential hashes for sync-back: ${saved.error}`));
}

/** Resolves true when the agent was installed under ~/.local (its bin must go on PATH). */
async function installStep(deps: AgentDeps, host: Host, s: AgentState, d: Discovery, signal?: AbortSignal): Promise<boolean> {
  if (d.bins[s.agent.kind]) return false;
  const name = s.agent.probe[0] ?? s.agent.kind;
  if (!s.agent.install) {
    s.warnings.push(`${name} not found in the container (install = false)`);
    return false;
  }
  const r = await step(() => install(host, s.agent, d, pick(deps.env, s.names), signal));
  if (!r.ok) s.warnings.push(`install failed: ${r.error}`);
  else if (r.value.warning) s.warnings.push(r.value.warning);
  s.installed = r.ok && r.value.installed;
  return r.ok && r.value.localPrefix;
}

function toResult(s: AgentState): AgentResult {
  const status = s.warnings.length > 0 ? 'warning' : 'ok';
  return { agent: s.agent.kind, status, validated: s.v.validated, copied: s.copied, installed: s.installed, warnings: s.warnings };
}

type Step<T> = { ok: true; value: T } | { ok: false; error: string };

// A failing step is a warning; an interrupt (Ctrl-C) still stops everything.
async function step<T>(fn: () => Promise<T>): Promise<Step<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (isAbortError(e)) throw e;
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function pick(env: Readonly<Record<string, string | undefined>>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((n) => (env[n] === undefined ? [] : [[n, env[n] as string]])));
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop() ?? '';
}
