// The `switch` step after a warm claim for another branch than the pool's base: the branch is fetched
// (push: a bundle of it; clone: `git fetch` on the box) and checked out in the running box; the dev
// container is rebuilt (and agents injected again) only when the devcontainer config differs. The box
// side is one exec (SWITCH): every exec is a round trip, and a warm claim is meant to take a second.
import type { ProvisionStep } from './pipeline.js';
import { requireContainer } from './box-workspace.js';
import { injectAgents, type BoxAgentDeps } from './agents.js';
import type { BoxConnections } from './connections.js';
import { upOnBox, type DevcontainerUpDeps } from './devcontainer.js';
import { configHashOfRead } from './config-hash.js';
import { configReadAt, fetchRead } from './fetch-read.js';
import type { RepoStepDeps } from './repo.js';
import { SWITCH } from './repo-scripts.js';

/** What the switch step needs. */
export interface SwitchStepDeps extends RepoStepDeps, DevcontainerUpDeps {
  connections: BoxConnections;
  /** Agent injection after a rebuild; absent when agents are off. */
  agentDeps?: BoxAgentDeps;
}

/** The `switch` step after a warm claim: the requested branch fetched and checked out, the container rebuilt when its config differs. */
export function switchStep(deps: SwitchStepDeps): ProvisionStep {
  return {
    name: 'switch',
    skip: (ctx) => ctx.box.workspace?.branch === ctx.box.branch,
    async run(ctx) {
      const { box, signal } = ctx;
      const ws = requireContainer(box);
      const host = await deps.connections.get(box);
      // fetched, `same`|`changed`, the commit checked out, the config reads at it
      const { lines, reads } = await fetchRead(deps, host, box, ws, SWITCH, box.branch, `git checkout ${box.branch}`, signal);
      const commit = /^[0-9a-f]{40,64}$/.test(lines[2] ?? '') ? (lines[2] ?? null) : null;
      const configHash = await configHashOfRead(host, ws.folder, reads, configReadAt(lines, 3, reads), 'HEAD', signal);
      const switched = { ...ws, branch: box.branch };
      // on another branch than the pool's: how far behind the base head no longer applies
      if (lines[1] === 'same') return { workspace: switched, commit, configHash, head: null };
      const rebuilt = await upOnBox(deps, host, box, switched, { rebuild: true, signal });
      if (deps.agentDeps) await injectAgents(deps.agentDeps, host, rebuilt, signal, box);
      return { workspace: rebuilt, commit, configHash, head: null };
    },
  };
}
