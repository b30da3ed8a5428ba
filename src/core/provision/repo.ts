// The `repo` step: the requested branch (and the base branch) reach the box and are checked out in
// `~/cac/<boxId>/<repo name>`. push: a git bundle made where cac runs, streamed over the box's SSH pipe
// into a temp file there and fetched; clone: the box runs `git clone --branch` itself.
import type { Readable } from 'node:stream';
import { CacError } from '../../errors.js';
import type { ExecResult, Host } from '../../ports/host.js';
import type { RepoSource } from '../../ports/repo-source.js';
import type { Box, BoxWorkspace } from '../../domain/box.js';
import type { ProvisionStep } from './pipeline.js';
import { validateBranch, validateRepoUrl } from '../../domain/validate.js';
import { repoFolder } from './box-workspace.js';
import type { BoxConnections } from './connections.js';
import { repoDelivery, type RepoDelivery } from './delivery.js';
import { CHECKOUT, CLONE_FETCH, PUSH_FETCH } from './repo-scripts.js';

/** What the repo step needs: the box's connection, the delivery, a bundle source, the checkout's place. */
export interface RepoStepDeps {
  connections: BoxConnections;
  /** `[boxes] repo_delivery`; absent: push for local paths and file:// URLs, clone otherwise. */
  delivery?: RepoDelivery;
  /** Bundles for push delivery. */
  source: RepoSource;
  /**
   * Where the checkout lives on the box (absolute, or relative to the box user's home); default
   * `~/cac/<box id>/<repo name>`, the work folder the ssh-fleet driver removes on release.
   */
  repoPath?: string;
  /** The clock: a box on its base branch records when it was last known at head. */
  now: () => number;
}

/** Runs a script on the box; a non-zero exit is ERR_REPO with the last line of its stderr. */
export async function runGit(host: Host, what: string, argv: readonly string[], opts: { stdin?: Readable; signal: AbortSignal }): Promise<string> {
  const r = await host.exec(argv, { signal: opts.signal, ...(opts.stdin ? { stdin: opts.stdin } : {}) });
  if (r.exitCode === 0) return r.stdout;
  throw gitFailure(what, r);
}

/** ERR_REPO for a box script that exited non-zero: `what` failed, with the last line of its stderr. */
export function gitFailure(what: string, r: ExecResult): CacError {
  const why = r.stderr.trim().split('\n').pop() ?? '';
  return new CacError('ERR_REPO', `${what} failed on the box (exit ${r.exitCode})${why ? `: ${why}` : ''}`, { hint: 'check the repository URL, the branch, and git on the box' });
}

/**
 * Fetches `branches` into the checkout at `folder` (relative to the box user's home, or absolute) by the
 * configured delivery; resolves with the checkout's absolute path.
 */
export async function fetchBranches(deps: Pick<RepoStepDeps, 'delivery' | 'source'>, host: Host, box: Box, folder: string, branches: readonly string[], signal: AbortSignal): Promise<string> {
  validateInputs(box.repoUrl, branches);
  if (repoDelivery(box.repoUrl, deps.delivery) === 'clone') {
    const out = await runGit(host, `git clone of ${box.repoUrl}`, ['sh', '-c', CLONE_FETCH, 'sh', folder, box.repoUrl, ...branches], { signal });
    return lastLine(out);
  }
  const bundle = await deps.source.bundle(box.repoUrl, branches, { signal });
  try {
    const out = await runGit(host, `fetching the bundle of ${box.repoUrl}`, ['sh', '-c', PUSH_FETCH, 'sh', folder, box.repoUrl, ...branches], { stdin: bundle.open(), signal });
    return lastLine(out);
  } finally {
    await bundle.dispose();
  }
}

/** Checks `branch` out in the checkout (created or reset to the fetched one); resolves with the commit checked out (null when git did not say). */
export async function checkout(host: Host, folder: string, branch: string, signal: AbortSignal): Promise<string | null> {
  const out = await runGit(host, `git checkout ${branch}`, ['sh', '-c', CHECKOUT, 'sh', folder, validateBranch(branch, 'branch')], { signal });
  const last = out.trim().split('\n').pop() ?? '';
  return /^[0-9a-f]{40,64}$/.test(last) ? last : null;
}

/** The `repo` step: the branch reaches the box (a pushed bundle or a clone) and is checked out. */
export function repoStep(deps: RepoStepDeps): ProvisionStep {
  return {
    name: 'repo',
    async run(ctx) {
      const { box } = ctx;
      // a box for another branch than its pool's gets both: a later switch back needs no new fetch
      const branches = [...new Set([box.branch, box.baseBranch])];
      const host = await deps.connections.get(box);
      const folder = await fetchBranches(deps, host, box, deps.repoPath ?? repoFolder(box), branches, ctx.signal);
      const commit = await checkout(host, folder, box.branch, ctx.signal);
      const workspace: BoxWorkspace = { folder, branch: box.branch, configFile: null, cli: null, containerId: null, remoteUser: null, remoteWorkspaceFolder: null };
      // the base branch was fetched just now: a box on it is at its head as of this moment
      const head = commit && box.branch === box.baseBranch ? { commit, behind: 0, at: deps.now() } : null;
      return { workspace, commit, head };
    },
  };
}

// Values reach the box's shell only as quoted arguments; validation refuses the hostile ones before anything runs.
export function validateInputs(repoUrl: string, branches: readonly string[]): void {
  validateRepoUrl(repoUrl, 'repoUrl');
  for (const b of branches) validateBranch(b, 'branch');
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').pop() ?? '';
  if (!line.startsWith('/')) throw new CacError('ERR_REPO', `the box did not report the checkout's folder (got ${JSON.stringify(line.slice(0, 80))})`);
  return line;
}
