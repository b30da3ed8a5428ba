// The `agents` step: the same agent injection as `cac up`, into the box's dev container through a
// ContainerHost over the box's SSH Host, with host material from the machine running cac. An agent's
// problems are warnings in its result (and on the reporter); they never fail the step. What was injected
// is recorded per box id on this machine (`box pull`/`box release` bring refreshed logins back from it),
// and a rotating login already live in another container or box is a token fork: `on_fork` decides.
import { isAbortError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { AgentDeps } from '../agents/deps.js';
import { loginDecisions } from '../agents/forks.js';
import { inject } from '../agents/inject.js';
import { boxRecordPath } from '../agents/record.js';
import type { AgentResult } from '../agents/result.js';
import type { ProvisionStep } from './pipeline.js';
import { requireContainer, type ContainerWorkspace } from './box-workspace.js';
import type { BoxConnections } from './connections.js';

/** Agent injection deps whose `container` runs `docker exec` on the given box Host. */
export type BoxAgentDeps = (boxHost: Host) => AgentDeps;

/** Injects the enabled agents into the box's container (recorded under the box id when it is given). */
export async function injectAgents(agentDeps: BoxAgentDeps, host: Host, ws: ContainerWorkspace, signal: AbortSignal, box?: { id: string }): Promise<AgentResult[]> {
  const target = { containerId: ws.containerId, remoteUser: ws.remoteUser, remoteWorkspaceFolder: ws.remoteWorkspaceFolder, workspace: ws.folder };
  const deps = agentDeps(host);
  if (!box) return inject(deps, target, { signal });
  const logins = await loginDecisions(deps, { kind: 'box', id: box.id }).catch((e: unknown) => {
    // looking for forks never fails the step: injection goes on as with on_fork = "warn"
    if (isAbortError(e)) throw e;
    deps.reporter.emit({ type: 'warning', message: `could not look for token forks: ${e instanceof Error ? e.message : String(e)}` });
    return {};
  });
  return inject(deps, target, { signal, recordFile: boxRecordPath(deps.stateDir, box.id), logins });
}

/** The `agents` step: the enabled agents injected into the box's dev container. */
export function agentsStep(deps: { connections: BoxConnections; agentDeps: BoxAgentDeps }): ProvisionStep {
  return {
    name: 'agents',
    async run(ctx) {
      const ws = requireContainer(ctx.box);
      await injectAgents(deps.agentDeps, await deps.connections.get(ctx.box), ws, ctx.signal, ctx.box);
    },
  };
}
