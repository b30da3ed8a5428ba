// The `switch` step after a warm claim for another branch than the pool's base: the branch is fetched
// (push: a bundle of it; clone: `git fetch` on the box) and checked out in the running box; the dev
// container is rebuilt (and agents injected again) only when the devcontainer config differs. The box
// side is one exec (SWITCH): every exec is a round trip, and a warm claim is meant to take a second.
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExecResult, Host } from '../../ports/host.js';
import type { RepoBundle } from '../../ports/repo-source.js';
import type { Box } from '../../domain/box.js';
import type { ProvisionStep } from './pipeline.js';
import { requireContainer, type ContainerWorkspace } from './box-workspace.js';
import { injectAgents, type BoxAgentDeps } from './agents.js';
import type { BoxConnections } from './connections.js';
import { repoDelivery } from './delivery.js';
import { upOnBox, type DevcontainerUpDeps } from './devcontainer.js';
import { configHashOfRead, configReads } from './config-hash.js';
import { gitFailure, validateInputs, type RepoStepDeps } from './repo.js';
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
      const { changed, commit, configHash } = await switchOnBox(deps, host, box, ws, signal);
      const switched = { ...ws, branch: box.branch };
      // on another branch than the pool's: how far behind the base head no longer applies
      if (!changed) return { workspace: switched, commit, configHash, head: null };
      const rebuilt = await upOnBox(deps, host, box, switched, { rebuild: true, signal });
      if (deps.agentDeps) await injectAgents(deps.agentDeps, host, rebuilt, signal, box);
      return { workspace: rebuilt, commit, configHash, head: null };
    },
  };
}

/** Fetches, compares the config, checks out and reads the config hash in one exec; a failure names the git operation that failed. */
async function switchOnBox(deps: SwitchStepDeps, host: Host, box: Box, ws: ContainerWorkspace, signal: AbortSignal) {
  validateInputs(box.repoUrl, [box.branch]);
  const how = repoDelivery(box.repoUrl, deps.delivery);
  const reads = configReads(ws.folder, ws.configFile);
  const argv = ['sh', '-c', SWITCH, 'sh', how, ws.folder, box.branch, reads.configRel, String(reads.paths.length), ...reads.paths, ...reads.dirs];
  const r = how === 'push' ? await execWithBundle(host, argv, deps.source.bundle(box.repoUrl, [box.branch], { signal }), signal) : await host.exec(argv, { signal });
  const lines = r.stdout.split('\n');
  if (r.exitCode !== 0) throw gitFailure(lines[0] === 'fetched' ? `git checkout ${box.branch}` : how === 'push' ? `fetching the bundle of ${box.repoUrl}` : `git fetch of ${box.repoUrl}`, r);
  const end = lines.indexOf('=config');
  const ids = lines.slice(3, 3 + reads.paths.length);
  const read = { ids, listing: lines.slice(3 + ids.length, end < 0 ? undefined : end), text: end < 0 ? undefined : lines.slice(end + 1).join('\n') };
  const commit = /^[0-9a-f]{40,64}$/.test(lines[2] ?? '') ? (lines[2] ?? null) : null;
  return { changed: lines[1] !== 'same', commit, configHash: await configHashOfRead(host, ws.folder, reads, read, 'HEAD', signal) };
}

/**
 * Runs the script with the bundle on its stdin, started before the bundle is made here: the connection,
 * the login and the script's start overlap with `git bundle`. A bundle that cannot be made ends stdin
 * empty (the box's fetch fails, nothing changes there) and is the error.
 */
async function execWithBundle(host: Host, argv: readonly string[], bundling: Promise<RepoBundle>, signal: AbortSignal): Promise<ExecResult> {
  const stdin = new PassThrough();
  const running = host.exec(argv, { signal, stdin });
  // handled now: an exec that fails while the bundle is made must not be an unhandled rejection
  running.catch(() => undefined);
  let bundle: RepoBundle;
  try {
    bundle = await bundling;
  } catch (e) {
    stdin.end();
    await running.catch(() => undefined);
    throw e;
  }
  try {
    pipeline(bundle.open(), stdin).catch(() => undefined);
    return await running;
  } finally {
    await bundle.dispose();
  }
}
