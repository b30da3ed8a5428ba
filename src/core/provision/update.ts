// A box brought to its base branch's head in place (README "Boxes at branch head"): the branch fetched
// (by the configured delivery), fast-forwarded (never merged), then the dev container's
// updateContentCommand run in the running container. Per the dev container spec, updateContentCommand is
// what refreshes a made container when new content arrives; postCreateCommand belongs to a container's
// first assignment and is not run again. A changed dev container definition is never updated in place:
// the reconcile replaces such a box, a claim rebuilds its container.
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import { shortCommit, type Box } from '../../domain/box.js';
import { validateBranch } from '../../domain/validate.js';
import { injectAgents, type BoxAgentDeps } from './agents.js';
import { boxLabel, requireContainer, type ContainerWorkspace } from './box-workspace.js';
import { configHashAt, configHashOfRead } from './config-hash.js';
import { configReadAt, fetchRead } from './fetch-read.js';
import type { BoxConnections } from './connections.js';
import { upOnBox, type DevcontainerUpDeps } from './devcontainer.js';
import { runGit, type RepoStepDeps } from './repo.js';
import { FAST_FORWARD, HEAD_READ } from './repo-scripts.js';

/** What bringing a box to head needs: its connection, the delivery, the engine on the box. */
export interface BoxUpdateDeps extends RepoStepDeps, DevcontainerUpDeps {
  connections: BoxConnections;
  /** Agent injection after a rebuild (a claim's); absent when agents are off. */
  agentDeps?: BoxAgentDeps;
}

/** How bringing a box to head ended. */
export type BoxUpdate =
  /** Already at the fetched head: nothing ran. */
  | { kind: 'current'; commit: string; configHash: string }
  /** Fast-forwarded; updateContentCommand ran (or, with `rebuild`, the container was rebuilt: `workspace`). */
  | { kind: 'updated'; commit: string; configHash: string; workspace?: ContainerWorkspace }
  /** The dev container definition differs at head: not updated (the checkout is left as it was). */
  | { kind: 'config-changed'; commit: string; reason: string };

/**
 * Fetches the box's base branch and fast-forwards its checkout to it. A changed dev container
 * definition: with `rebuild` the container is rebuilt on the new commit (and agents injected again),
 * else nothing changes and the caller replaces the box.
 */
export async function bringToHead(deps: BoxUpdateDeps, box: Box, opts: { rebuild: boolean; signal: AbortSignal }): Promise<BoxUpdate> {
  const { signal } = opts;
  const ws = requireContainer(box);
  const branch = validateBranch(box.baseBranch, 'baseBranch');
  const host = await deps.connections.get(box);
  // fetched, the checkout's HEAD, the fetched head, then (when they differ) the config reads at that head
  const { lines, reads } = await fetchRead(deps, host, box, ws, HEAD_READ, branch, 'reading the checkout head', signal);
  const [, from = '-', to = '-'] = lines;
  if (to === '-') throw new CacError('ERR_REPO', `branch ${branch} did not reach box ${box.id}`, { hint: 'check the repository and the pool base_branch' });
  const before = box.configHash ?? (await configHashAt(host, ws.folder, ws.configFile, 'HEAD', signal));
  if (from === to) return { kind: 'current', commit: to, configHash: before };
  const ref = `refs/remotes/origin/${branch}`;
  const after = await configHashOfRead(host, ws.folder, reads, configReadAt(lines, 3, reads), ref, signal);
  const changed = after !== before;
  if (changed && !opts.rebuild) return { kind: 'config-changed', commit: to, reason: `devcontainer definition changed at ${shortCommit(to)} (${before} → ${after})` };
  const commit = (await runGit(host, `fast-forwarding ${branch}`, ['sh', '-c', FAST_FORWARD, 'sh', ws.folder, branch], { signal })).trim().split('\n').pop() || to;
  if (changed) {
    const workspace = await upOnBox(deps, host, box, ws, { rebuild: true, signal });
    if (deps.agentDeps) await injectAgents(deps.agentDeps, host, workspace, signal);
    return { kind: 'updated', commit, configHash: after, workspace };
  }
  await runUpdateContent(deps, host, box, ws, signal);
  return { kind: 'updated', commit, configHash: after };
}

/** The container's updateContentCommand entries (features' first, then devcontainer.json's), from its devcontainer.metadata label. */
export function updateContentCommands(metadataLabel: string): Array<readonly string[]> {
  let entries: unknown;
  try {
    entries = JSON.parse(metadataLabel);
  } catch {
    return [];
  }
  const list = Array.isArray(entries) ? entries : [entries];
  const argvOf = (c: unknown): readonly string[] | undefined =>
    typeof c === 'string' && c.trim() !== '' ? ['/bin/sh', '-c', c] : Array.isArray(c) && c.length > 0 && c.every((w) => typeof w === 'string') ? (c as string[]) : undefined;
  return list.flatMap((e) => {
    const cmd: unknown = e && typeof e === 'object' ? (e as Record<string, unknown>).updateContentCommand : undefined;
    // the object form: named commands, each a string or an argv
    const each = cmd && typeof cmd === 'object' && !Array.isArray(cmd) ? Object.values(cmd) : [cmd];
    return each.map(argvOf).filter((a): a is readonly string[] => a !== undefined);
  });
}

/** Runs the container's updateContentCommand as its remote user in the workspace; a failure is ERR_UPDATE_CONTENT. */
async function runUpdateContent(deps: BoxUpdateDeps, host: Host, box: Box, ws: ContainerWorkspace, signal: AbortSignal): Promise<void> {
  const label = await host.exec(['docker', 'inspect', '--format', '{{index .Config.Labels "devcontainer.metadata"}}', ws.containerId], { signal });
  if (label.exitCode !== 0) throw new CacError('ERR_UPDATE_CONTENT', `box ${box.id}: its dev container ${ws.containerId.slice(0, 12)} cannot be inspected`, { hint: 'the box is failed and replaced' });
  const engine = deps.engine(host, ws.cli);
  const ref = { folder: ws.folder, configFile: ws.configFile, labels: [boxLabel(box.id)] };
  // one after another, in the label's order (features' first); the first failure stops the rest
  for (const argv of updateContentCommands(label.stdout.trim())) {
    const r = await engine.exec(ref, argv, { signal });
    if (r.exitCode === 0) continue;
    const why = r.stderr.trim().split('\n').pop() ?? '';
    throw new CacError('ERR_UPDATE_CONTENT', `updateContentCommand failed in box ${box.id} (exit ${r.exitCode})${why ? `: ${why}` : ''}`, {
      hint: 'fix the command in devcontainer.json; the box is failed and replaced',
    });
  }
}
