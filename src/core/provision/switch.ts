// The `switch` step after a warm claim for another branch than the pool's base: the branch is fetched
// (push: a bundle of it; clone: `git fetch` on the box) and checked out in the running box; the dev
// container is rebuilt (and agents injected again) only when the devcontainer config differs.
import type { ProvisionStep } from './pipeline.js';
import { requireContainer } from './box-workspace.js';
import { injectAgents, type BoxAgentDeps } from './agents.js';
import type { BoxConnections } from './connections.js';
import { upOnBox, type DevcontainerUpDeps } from './devcontainer.js';
import { configHashAt } from './config-hash.js';
import { checkout, fetchBranches, runGit, type RepoStepDeps } from './repo.js';
import { CONFIG_CHANGED } from './repo-scripts.js';

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
      await fetchBranches(deps, host, box, ws.folder, [box.branch], signal);
      const diff = await runGit(host, 'comparing the devcontainer config', ['sh', '-c', CONFIG_CHANGED, 'sh', ws.folder, box.branch], { signal });
      const commit = await checkout(host, ws.folder, box.branch, signal);
      const switched = { ...ws, branch: box.branch };
      const configHash = await configHashAt(host, ws.folder, ws.configFile, 'HEAD', signal);
      // on another branch than the pool's: how far behind the base head no longer applies
      if (diff.trim() === 'same') return { workspace: switched, commit, configHash, head: null };
      const rebuilt = await upOnBox(deps, host, box, switched, { rebuild: true, signal });
      if (deps.agentDeps) await injectAgents(deps.agentDeps, host, rebuilt, signal, box);
      return { workspace: rebuilt, commit, configHash, head: null };
    },
  };
}
