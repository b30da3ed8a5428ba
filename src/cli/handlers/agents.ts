// agents doctor | sync | pull: flags → workspace → running container → core → render → exit code.
import { posix } from 'node:path';
import { CacError, EXIT, isAbortError } from '../../errors.js';
import { AGENT_KINDS, type AgentKind } from '../../domain/kinds.js';
import type { Config } from '../../config/schema.js';
import { localEngine } from '../../app/engine.js';
import { agentDeps, remoteWorkspaceOf } from '../../app/agents.js';
import type { AppContext } from '../../app/context.js';
import { localFiles } from '../../adapters/engine/local-files.js';
import { resolveWorkspace } from '../../core/lifecycle/workspace.js';
import type { ContainerInfo, WorkspaceRef } from '../../ports/engine.js';
import { inject } from '../../core/agents/inject.js';
import { syncBack } from '../../core/agents/sync-back.js';
import { doctorPlan, gatherFacts } from '../../core/agents/doctor.js';
import { warningCount } from '../../core/agents/summary.js';
import type { CommandInput, Handler } from '../action.js';
import { renderDoctor } from './agents-render.js';

const folderOf = (input: CommandInput) => (typeof input.args[0] === 'string' ? input.args[0] : process.cwd());

async function running(ctx: AppContext, config: Config, input: CommandInput): Promise<{ ws: WorkspaceRef; c: ContainerInfo }> {
  const ws = await resolveWorkspace(localFiles, folderOf(input));
  const c = await localEngine(config, ctx.host, ctx.env, ctx.stateDir).find(ws, { signal: ctx.signal });
  if (!c?.running) {
    throw new CacError('ERR_NO_CONTAINER', `no running dev container for ${ws.folder}`, { hint: `start it with 'cac up ${ws.folder}'` });
  }
  return { ws, c };
}

export const sync: Handler = async (ctx, input) => {
  const { config } = await ctx.config();
  const { ws, c } = await running(ctx, config, input);
  const only = Array.isArray(input.opts.agent) ? (input.opts.agent as string[]).filter((k): k is AgentKind => (AGENT_KINDS as readonly string[]).includes(k)) : undefined;
  const remoteWorkspaceFolder = (await remoteWorkspaceOf(ctx, config, c.id, ws.folder)) ?? `/workspaces/${posix.basename(ws.folder)}`;
  const target = { containerId: c.id, remoteUser: c.remoteUser ?? '', remoteWorkspaceFolder, workspace: ws.folder };
  const agents = await inject(agentDeps(ctx, config), target, { ...(only ? { only } : {}), signal: ctx.signal });
  if (agents.length === 0) {
    ctx.reporter.emit({ type: 'warning', message: 'no agents are enabled', hint: 'set [agents] enabled = true and [agents.<kind>] enabled = true, or pass --agent <kind>' });
  }
  const warned = agents.length === 0 || warningCount(agents) > 0;
  ctx.result({ outcome: warned ? 'warnings' : 'success', containerId: c.id, remoteUser: c.remoteUser ?? null, remoteWorkspaceFolder, workspace: ws.folder, agents });
  return warned ? EXIT.warnings : EXIT.ok;
};

export const pull: Handler = async (ctx, input) => {
  const { config } = await ctx.config();
  const { ws, c } = await running(ctx, config, input);
  const out = await syncBack(agentDeps(ctx, config), { containerId: c.id, remoteUser: c.remoteUser ?? '', workspace: ws.folder }, ctx.signal);
  out.warnings.forEach((message) => ctx.reporter.emit({ type: 'warning', message }));
  const human = out.synced.length ? out.synced.map((p) => `copied back ${p}`).join('\n') : 'no refreshed credentials to copy back';
  ctx.result({ outcome: out.warnings.length ? 'warnings' : 'success', containerId: c.id, workspace: ws.folder, synced: out.synced, warnings: out.warnings }, human);
  return out.warnings.length ? EXIT.warnings : EXIT.ok;
};

export const doctor: Handler = async (ctx, input) => {
  const { config } = await ctx.config();
  const deps = agentDeps(ctx, config);
  const found = await containerOf(ctx, config, input);
  const host = found.c ? deps.container({ containerId: found.c.id, remoteUser: found.c.remoteUser ?? '' }) : undefined;
  const { agents, facts, containerError } = await gatherFacts(deps, host, ctx.signal);
  const rows = doctorPlan(deps, agents, facts);
  const note = containerError ? `cannot inspect the container: ${containerError}` : found.note;
  const container = found.c ? { id: found.c.id, remoteUser: found.c.remoteUser ?? null, home: facts.discovery?.home ?? null } : null;
  ctx.result({ outcome: 'ok', workspace: found.ws ?? null, container, ...(note ? { note } : {}), agents: rows }, renderDoctor(rows, container, note));
  return EXIT.ok;
};

// Doctor works without a container (host part only): every reason there is none is a note.
async function containerOf(ctx: AppContext, config: Config, input: CommandInput): Promise<{ ws?: string; c?: ContainerInfo; note?: string }> {
  try {
    const { ws, c } = await running(ctx, config, input);
    return { ws: ws.folder, c };
  } catch (e) {
    if (isAbortError(e)) throw e;
    return { note: `host checks only: ${e instanceof Error ? e.message : String(e)}` };
  }
}
