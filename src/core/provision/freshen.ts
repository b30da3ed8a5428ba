// The `freshen` step after a warm claim: a box on its pool's base branch that is known behind, or whose
// last check of the head is older than the pool's max_staleness, is brought to head before it is handed
// out (fetch, fast-forward, updateContentCommand; a changed dev container definition rebuilds it).
import { needsHeadCheck } from '../../domain/freshness.js';
import type { ProvisionStep } from './pipeline.js';
import { bringToHead, type BoxUpdateDeps } from './update.js';

/** What the freshen step needs besides the box's connection and engine. */
export interface FreshenStepDeps extends BoxUpdateDeps {
  /** The pool's `max_staleness` in ms: how old a box's last check of the head may be when it is handed out. */
  maxStalenessMs(poolKey: string): number;
}

/** The `freshen` step: skipped for a box checked at head within max_staleness. */
export function freshenStep(deps: FreshenStepDeps): ProvisionStep {
  return {
    name: 'freshen',
    skip: (ctx) => !needsHeadCheck(ctx.box, deps.now(), deps.maxStalenessMs(ctx.box.poolKey)),
    async run(ctx) {
      const { box, signal } = ctx;
      const at = deps.now();
      // one read of the head where cac runs; when it cannot be read here (a repo only the box reaches) the box fetches it
      const head = await deps.source.head(box.repoUrl, box.baseBranch, { signal }).catch(() => undefined);
      if (head !== undefined && head === box.commit) return { head: { commit: head, behind: 0, at } };
      const r = await bringToHead(deps, box, { rebuild: true, signal });
      if (r.kind === 'config-changed') throw new Error(r.reason);
      return { commit: r.commit, configHash: r.configHash, head: { commit: r.commit, behind: 0, at }, ...(r.kind === 'updated' && r.workspace ? { workspace: r.workspace } : {}) };
    },
  };
}
