// Agent injection. Per enabled agent: validate host prerequisites → copy host material → forward
// allow-listed env → probe the binary → install if missing → record the result. Every failure is a
// warning for that agent only; the lifecycle command's exit code is unaffected. When nothing needs
// installing, all agents take ONE container exec: discover + probe, the tar stream, finish.
import { isAbortError } from '../../errors.js';
import { redact } from '../../util/redact.js';
import type { AgentKind } from '../../domain/kinds.js';
import type { Host } from '../../ports/host.js';
import type { AgentEvent, AgentResult, ContainerTarget } from './result.js';
import type { AgentDeps } from './deps.js';
import { effectiveAgents, expandContainer, type EffectiveAgent } from './effective-config.js';
import { readScanned, scanHost, type HostScan } from './host-material.js';
import { forwardedNames, validateHost, type Validation } from './validate.js';
import { probesOf, type Discovery } from './discover.js';
import { planCopy, type SyncedFile } from './plan.js';
import { copyOutcome } from './copy.js';
import { install } from './install.js';
import { cachedInstall, type NpmAgent } from './cache.js';
import { finishScript, parseRefusedFiles, type FinishPlan } from './finish-script.js';
import { injectScript, parseInjectOutput, type InjectOutput, type RefusedMember } from './inject-script.js';
import { LEAVES_HOME } from './home-guard.js';
import { memberName, memberRoots, packEntries } from './tar.js';
import { guardsFor, mergeRecord, readRecord, recordPath, writeRecord } from './record.js';
import { reconcile } from './sync-back.js';
import { agentLine, closingLine, headerLine } from './summary.js';
import type { LoginDecision } from './forks.js';
import { linkProblem, type LinkReport, type VolumeLink } from './volume-link.js';
import { EXACT_VERSION } from '../../domain/kinds.js';
import { volumeTargetPrefix } from '../../domain/agent-volume.js';

export interface InjectOptions {
  /** The lifecycle event; gated by on_start / on_rebuild. Absent for `cac agents sync`. */
  event?: AgentEvent;
  /** Only these agents, enabled in config or not (`agents sync --agent`). */
  only?: readonly AgentKind[];
  /** Where the sync-back record goes (default: the workspace's under the state dir; a box's is per box id). */
  recordFile?: string;
  /** Per agent, what the token-fork check decided (forks.ts): skip it, withhold its rotating login, or inject with a warning. */
  logins?: Partial<Record<AgentKind, LoginDecision>>;
  signal?: AbortSignal;
}

interface AgentState {
  agent: EffectiveAgent;
  /** Nothing to copy, forward or install: the agent is skipped. */
  idle: boolean;
  scan: HostScan;
  v: Validation;
  names: string[];
  warnings: string[];
  copied: string[];
  installed: boolean;
  installedFrom?: 'volume' | 'cache' | 'registry';
}

// the agents an injection handles: the enabled ones, or exactly `only`
function selectAgents(deps: Pick<AgentDeps, 'agents' | 'env' | 'hostHome'>, only?: readonly AgentKind[]): EffectiveAgent[] {
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
  const skipped = (a: EffectiveAgent) => opts.logins?.[a.kind]?.action === 'skip';
  const states: AgentState[] = [];
  for (const agent of agents.filter((a) => !skipped(a))) states.push(await hostSide(deps, agent, opts.logins?.[agent.kind]));
  const recordFile = opts.recordFile ?? recordPath(deps.stateDir, target.workspace);
  await containerSide(deps, deps.container(target), { ...target, recordFile }, states, opts.signal);
  const results = agents.map((a) => {
    const s = states.find((x) => x.agent.kind === a.kind);
    return s ? toResult(s) : refused(a.kind, opts.logins?.[a.kind]?.warning ?? '');
  });
  for (const r of results) deps.reporter.emit({ type: 'info', message: agentLine(r) });
  const closing = closingLine(results);
  if (closing) deps.reporter.emit({ type: 'info', message: closing });
  return results;
}

async function hostSide(deps: AgentDeps, agent: EffectiveAgent, login?: LoginDecision): Promise<AgentState> {
  const scan = withheld(await scanHost(agent, deps.files), login);
  const maxBytes = deps.agents.max_copy_mb * 1024 * 1024;
  if (scan.totalBytes <= maxBytes) await readScanned(scan, deps.files);
  const v = validateHost(agent, scan, deps.env, { hostHome: deps.hostHome, maxBytes });
  const names = forwardedNames(agent, deps.env);
  const idle = agent.material.length === 0 && names.length === 0 && !agent.install && v.warnings.length === 0;
  return { agent, idle, scan, v, names, warnings: [...(login ? [login.warning] : []), ...v.warnings], copied: [], installed: false };
}

// API-key auth only: the rotating login (the files sync-back follows) stays on the host
function withheld(scan: HostScan, login?: LoginDecision): HostScan {
  if (login?.action !== 'api-key-only') return scan;
  const files = scan.files.filter((f) => !f.syncBack);
  return { ...scan, files, totalBytes: files.reduce((n, f) => n + f.size, 0) };
}

// an agent the token-fork check left out: nothing done, its warning says why
function refused(agent: AgentKind, warning: string): AgentResult {
  return { agent, status: 'warning', validated: false, copied: [], installed: false, warnings: [warning] };
}

type RecordedTarget = ContainerTarget & { recordFile: string };

async function containerSide(deps: AgentDeps, host: Host, target: RecordedTarget, states: AgentState[], signal?: AbortSignal): Promise<void> {
  const live = states.filter((s) => s.v.validated && !s.idle);
  if (live.length === 0) return;
  const p = await prepare(deps, target, live);
  const stdin = p.copy ? { stdin: packEntries(p.plan.entries) } : {};
  const r = await step(() => host.exec(['sh', '-c', p.script], { env: p.env, ...stdin, timeoutMs: 120_000, ...(signal ? { signal } : {}) }));
  const out = r.ok ? parseInjectOutput(r.value.stdout) : undefined;
  const d = out?.discovery;
  // container output quoted in a warning never carries a forwarded value
  const stderr = r.ok ? redact(lastLine(r.value.stderr), Object.values(p.env)) : '';
  if (!out || !d) {
    const why = !r.ok ? r.error : `exit ${r.value.exitCode}: ${stderr || 'no home directory reported'}`;
    live.forEach((s) => s.warnings.push(`cannot inspect the container as ${target.remoteUser || 'its default user'}: ${why}`));
    return;
  }
  if (out.finishExit !== 0) live.forEach((s) => s.warnings.push(`finishing in the container failed${stderr ? `: ${stderr}` : ''}`));
  warnRefusedFiles(live, out.refusedFiles);
  await settleCopy(deps, target, live, p, out, d);
  let localPrefix = false;
  let finished = false;
  for (const s of live) {
    const r = await installStep(deps, host, target, s, d, { names: p.names, env: p.env, link: out.links[s.agent.kind] }, signal);
    localPrefix = r.localPrefix || localPrefix;
    if (r.finished !== undefined) {
      finished = true;
      settleFinish(live, r.finished);
    }
  }
  // an install that fell back to ~/.local needs the env file's PATH line, even with nothing forwarded
  if (localPrefix && !finished) await refinish(host, d, p.names, p.env, live, signal);
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

// Everything the one exec needs: the copy plan, the guards over credentials this container already
// got, the forwarded names and values, and the script.
async function prepare(deps: AgentDeps, target: RecordedTarget, live: AgentState[]) {
  const plan = planCopy(
    live.filter((s) => s.v.copy),
    target,
  );
  const { recordFile } = target;
  const old = await readRecord(deps.files, recordFile);
  const guards = guardsFor(
    old,
    target.containerId,
    plan.entries.map((e) => e.path),
  );
  const names = [...new Set(live.flatMap((s) => s.names))];
  const links = volumeLinks(deps, live);
  const claude = live.some((s) => s.agent.kind === 'claude') && !(plan.copied.claude ?? []).includes('~/.claude.json');
  // a linked binary lives in ~/.local/bin: the env file's PATH line, even with nothing forwarded
  const finish: FinishPlan = { env: names.length || links.length ? 'write' : 'if-present', names, claudeOnboarding: claude };
  const absolute = plan.entries.some((e) => e.path.startsWith('/'));
  const roots = memberRoots(plan.entries.map((e) => memberName(e.path)));
  const copy = plan.entries.length ? { absolute, roots, guards: guards.map((g) => ({ name: g.name, sentHash: g.file.sentHash })) } : undefined;
  const script = injectScript({ probes: probesOf(live.map((s) => s.agent)), ...(copy ? { copy } : {}), finish, links });
  return { plan, recordFile, old, guards, names, env: pick(deps.env, names), copy, script };
}

// The agents linked from their agent volume in the one exec when missing: pinned npm CLIs going through
// the cache (an exact version: resolving "latest" waits until an install needs it).
function volumeLinks(deps: AgentDeps, live: AgentState[]): VolumeLink[] {
  if (!deps.volumes || !deps.cache) return [];
  return live.flatMap((s) => {
    const npm = s.agent.install ? s.agent.npm : undefined;
    return npm && EXACT_VERSION.test(npm.version) ? [{ kind: s.agent.kind, version: npm.version, prefix: volumeTargetPrefix(s.agent.kind, npm.version), names: s.agent.probe }] : [];
  });
}

// What was written (tar failures and refreshed credentials left alone are not), and the record.
async function settleCopy(deps: AgentDeps, target: ContainerTarget, live: AgentState[], p: Prepared, out: InjectOutput, d: Discovery): Promise<void> {
  const failed = copyOutcome(p.plan, out.tarExit, out.tarErrors);
  const refused = refusedPaths(
    p.plan.entries.map((e) => e.path),
    p.copy?.roots ?? [],
    out.refused,
  );
  const skipped = new Set([...failed.failed, ...refused, ...p.guards.filter((_, i) => out.kept.has(i)).map((g) => g.path)]);
  for (const s of live) {
    const mine = p.plan.copied[s.agent.kind] ?? [];
    s.copied = mine.filter((f) => !skipped.has(f)).map((f) => expandContainer(f, d.home));
    const notWritten = mine.filter((f) => refused.has(f));
    if (notWritten.length) s.warnings.push(`not written (${LEAVES_HOME}): ${notWritten.join(', ')}`);
    s.warnings.push(...(p.plan.notes[s.agent.kind] ?? []), ...(failed.warnings[s.agent.kind] ?? []));
  }
  const synced = p.plan.synced.filter((f) => !skipped.has(f.container)).map((f) => ({ ...f, container: expandContainer(f.container, d.home) }));
  const refreshed = await keepRefreshed(deps, p.guards, out.kept, live);
  const next = { containerId: target.containerId, workspace: target.workspace, remoteWorkspaceFolder: target.remoteWorkspaceFolder, home: d.home };
  const saved = await step(() =>
    writeRecord(
      deps.files,
      p.recordFile,
      mergeRecord(
        p.old,
        next,
        live.map((s) => s.agent.kind),
        [...synced, ...refreshed],
      ),
    ),
  );
  if (!saved.ok) live.filter((s) => s.copied.length).forEach((s) => s.warnings.push(`could not record credential hashes for sync-back: ${saved.error}`));
}

// The agent refreshed these in the container since injection: they were not overwritten, and flow
// back to the host when the host copy is still the injected one (else: a warning, both kept).
async function keepRefreshed(deps: AgentDeps, guards: ReturnType<typeof guardsFor>, kept: Map<number, Buffer>, live: AgentState[]): Promise<SyncedFile[]> {
  const files: SyncedFile[] = [];
  for (const [i, g] of guards.entries()) {
    const data = kept.get(i);
    if (!data) continue;
    const r = await reconcile(deps, g.file, { data }, "kept both (the container's copy was not overwritten)");
    if (r.warning) live.find((s) => s.agent.kind === g.file.agent)?.warnings.push(r.warning);
    files.push(r.entry);
  }
  return files;
}

async function refinish(host: Host, d: Discovery, names: string[], env: Record<string, string>, live: AgentState[], signal?: AbortSignal): Promise<void> {
  const script = finishScript(d.home, { env: 'write', names, claudeOnboarding: false });
  const r = await step(() => host.exec(['sh', '-c', script], { env, timeoutMs: 60_000, ...(signal ? { signal } : {}) }));
  settleFinish(live, r.ok ? r.value.stdout : undefined);
}

// the output of finishing after an install (alone, or in a volume link's exec); undefined: it failed to run
function settleFinish(live: AgentState[], stdout: string | undefined): void {
  if (stdout !== undefined) warnRefusedFiles(live, parseRefusedFiles(stdout));
  if (stdout === undefined || !/^finish\t0$/m.test(stdout)) live.forEach((s) => s.warnings.push('could not put ~/.local/bin on PATH for login shells'));
}

// The plan paths (`~/…` or absolute) the script left out: each refused root, or link under a root,
// with everything under it.
function refusedPaths(paths: readonly string[], roots: readonly string[], refused: readonly RefusedMember[]): Set<string> {
  const prefixes = refused.flatMap((r) => (roots[r.root] === undefined ? [] : [`${roots[r.root]}${r.under ?? ''}`]));
  return new Set(paths.filter((p) => prefixes.some((x) => memberName(p) === x || memberName(p).startsWith(`${x}/`))));
}

// ~/.claude.json is Claude's; the env file and the profile lines serve the agents forwarding values
// (all of them when none does: the profile line also puts ~/.local/bin on PATH).
function warnRefusedFiles(live: AgentState[], files: readonly string[]): void {
  for (const f of files) {
    const forwarding = live.filter((s) => s.names.length > 0);
    const owners = f === '~/.claude.json' ? live.filter((s) => s.agent.kind === 'claude') : forwarding.length ? forwarding : live;
    owners.forEach((s) => s.warnings.push(`not written (${LEAVES_HOME}): ${f}`));
  }
}

/** `localPrefix`: the agent was installed under ~/.local (its bin must go on PATH); `finished`: a volume link already did that (its output). */
async function installStep(
  deps: AgentDeps,
  host: Host,
  target: ContainerTarget,
  s: AgentState,
  d: Discovery,
  finish: { names: readonly string[]; env: Record<string, string>; link?: LinkReport | undefined },
  signal?: AbortSignal,
): Promise<{ localPrefix: boolean; finished?: string }> {
  if (d.bins[s.agent.kind]) return { localPrefix: false };
  const name = s.agent.probe[0] ?? s.agent.kind;
  if (!s.agent.install) {
    s.warnings.push(`${name} not found in the container (install = false)`);
    return { localPrefix: false };
  }
  // a pinned npm CLI on a known platform goes through the cache (it needs node to run, not npm)
  const { cache } = deps;
  if (cache && s.agent.npm && d.platform && d.tools.node) {
    const at = { ...d, platform: d.platform };
    // the one exec already linked it from its volume (and finished), or found no volume: no link exec
    const linked = finish.link ? linkProblem(finish.link, s.agent.npm.version) : 'none';
    if (linked === undefined) {
      s.installed = true;
      s.installedFrom = 'volume';
      return { localPrefix: false };
    }
    if (linked !== 'absent' && linked !== 'none') {
      s.warnings.push(`the agent volume of ${s.agent.kind} ${s.agent.npm.version} (${d.platform}) failed its check (${redact(linked, Object.values(finish.env))}); not used`);
    }
    const tryVolume = deps.volumes && linked === 'none';
    const via = { cache, reporter: deps.reporter, ...(tryVolume ? { volumes: true, finish: { names: finish.names, env: finish.env } } : {}) };
    const r = await step(() => cachedInstall(via, host, target, s.agent as NpmAgent, at, pick(deps.env, s.names), signal));
    if (!r.ok) s.warnings.push(`install failed: ${r.error}`);
    else if (r.value.warning) s.warnings.push(r.value.warning);
    s.installed = r.ok && r.value.installed;
    if (r.ok && r.value.from) s.installedFrom = r.value.from;
    return { localPrefix: s.installed, ...(r.ok && r.value.finished !== undefined ? { finished: r.value.finished } : {}) };
  }
  const r = await step(() => install(host, s.agent, d, pick(deps.env, s.names), signal));
  if (!r.ok) s.warnings.push(`install failed: ${r.error}`);
  else if (r.value.warning) s.warnings.push(r.value.warning);
  s.installed = r.ok && r.value.installed;
  return { localPrefix: r.ok && r.value.localPrefix };
}

function toResult(s: AgentState): AgentResult {
  const status = s.idle ? 'skipped' : s.warnings.length > 0 ? 'warning' : 'ok';
  return {
    agent: s.agent.kind,
    status,
    validated: s.v.validated,
    copied: s.copied,
    installed: s.installed,
    ...(s.installedFrom ? { installedFrom: s.installedFrom } : {}),
    warnings: s.warnings,
  };
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
