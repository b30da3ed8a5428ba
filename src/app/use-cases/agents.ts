// agents doctor | sync | pull: the workspace's running dev container on this machine, and agent
// injection, doctor and sync-back with this machine's host material.
import { CacError, isAbortError } from '../../errors.js';
import type { Config } from '../../config/schema.js';
import type { AgentKind } from '../../domain/kinds.js';
import type { ContainerInfo, WorkspaceRef } from '../../ports/engine.js';
import { doctorPlan, gatherFacts, type AgentDoctor } from '../../core/agents/doctor.js';
import { inject } from '../../core/agents/inject.js';
import type { AgentResult } from '../../core/agents/result.js';
import { warningCount } from '../../core/agents/summary.js';
import { syncBack } from '../../core/agents/sync-back.js';
import { defaultRemoteWorkspace } from '../../core/lifecycle/workspace.js';
import { agentDeps, remoteWorkspaceOf } from '../agents.js';
import type { AppContext } from '../context.js';
import { localEngine } from '../engine.js';
import { localWorkspace } from '../workspace.js';

export type { AgentDoctor } from '../../core/agents/doctor.js';
export { placesText } from '../../core/agents/forks.js';

async function running(ctx: AppContext, config: Config, folder: string | undefined): Promise<{ ws: WorkspaceRef; c: ContainerInfo }> {
  const ws = await localWorkspace(ctx, config, { folder }, false);
  const c = await localEngine(config, ctx.host, ctx.env, ctx.stateDir).find(ws, { signal: ctx.signal });
  if (!c?.running) {
    throw new CacError('ERR_NO_CONTAINER', `no running dev container for ${ws.folder}`, { hint: `start it with 'cac up ${ws.folder}'` });
  }
  return { ws, c };
}

export interface AgentsSyncResult {
  outcome: 'success' | 'warnings';
  containerId: string;
  remoteUser: string | null;
  remoteWorkspaceFolder: string;
  workspace: string;
  agents: AgentResult[];
}

/** Injects the enabled agents (or only `only`) into the workspace's running container now. */
export async function syncAgents(ctx: AppContext, input: { folder?: string | undefined; only?: AgentKind[] | undefined }): Promise<AgentsSyncResult> {
  const { config } = await ctx.config();
  const { ws, c } = await running(ctx, config, input.folder);
  const remoteWorkspaceFolder = (await remoteWorkspaceOf(ctx, config, c.id, ws.folder)) ?? defaultRemoteWorkspace(ws.folder);
  const target = { containerId: c.id, remoteUser: c.remoteUser ?? '', remoteWorkspaceFolder, workspace: ws.folder };
  const agents = await inject(agentDeps(ctx, config), target, { ...(input.only ? { only: input.only } : {}), signal: ctx.signal });
  if (agents.length === 0) {
    ctx.reporter.emit({ type: 'warning', message: 'no agents are enabled', hint: 'set [agents] enabled = true and [agents.<kind>] enabled = true, or pass --agent <kind>' });
  }
  const warned = agents.length === 0 || warningCount(agents) > 0;
  return { outcome: warned ? 'warnings' : 'success', containerId: c.id, remoteUser: c.remoteUser ?? null, remoteWorkspaceFolder, workspace: ws.folder, agents };
}

export interface AgentsPullResult {
  outcome: 'success' | 'warnings';
  containerId: string;
  workspace: string;
  /** Host paths updated from the container. */
  synced: string[];
  warnings: string[];
}

/** Copies the credentials the agents refreshed inside the container back to the host. */
export async function pullAgentCredentials(ctx: AppContext, input: { folder?: string | undefined }): Promise<AgentsPullResult> {
  const { config } = await ctx.config();
  const { ws, c } = await running(ctx, config, input.folder);
  const out = await syncBack(agentDeps(ctx, config), { containerId: c.id, remoteUser: c.remoteUser ?? '', workspace: ws.folder }, ctx.signal);
  out.warnings.forEach((message) => ctx.reporter.emit({ type: 'warning', message }));
  return { outcome: out.warnings.length ? 'warnings' : 'success', containerId: c.id, workspace: ws.folder, synced: out.synced, warnings: out.warnings };
}

export interface AgentsDoctorResult {
  outcome: 'success';
  workspace: string | null;
  container: { id: string; remoteUser: string | null; home: string | null } | null;
  /** Why only host checks ran (no container), or why the container could not be inspected. */
  note?: string;
  agents: AgentDoctor[];
}

/** Per agent: host checks, container checks (when the workspace's container runs) and the planned actions. */
export async function agentsDoctor(ctx: AppContext, input: { folder?: string | undefined }): Promise<AgentsDoctorResult> {
  const { config } = await ctx.config();
  const deps = agentDeps(ctx, config);
  const found = await containerOf(ctx, config, input.folder);
  const host = found.c ? deps.container({ containerId: found.c.id, remoteUser: found.c.remoteUser ?? '' }) : undefined;
  const { agents, facts, containerError } = await gatherFacts(deps, host, ctx.signal);
  const rows = doctorPlan(deps, agents, facts);
  const note = containerError ? `cannot inspect the container: ${containerError}` : found.note;
  const container = found.c ? { id: found.c.id, remoteUser: found.c.remoteUser ?? null, home: facts.discovery?.home ?? null } : null;
  return { outcome: 'success', workspace: found.ws ?? null, container, ...(note ? { note } : {}), agents: rows };
}

// Doctor works without a container (host part only): every reason there is none is a note.
async function containerOf(ctx: AppContext, config: Config, folder: string | undefined): Promise<{ ws?: string; c?: ContainerInfo; note?: string }> {
  try {
    const { ws, c } = await running(ctx, config, folder);
    return { ws: ws.folder, c };
  } catch (e) {
    if (isAbortError(e)) throw e;
    return { note: `host checks only: ${e instanceof Error ? e.message : String(e)}` };
  }
}
