// Sync-back from a box (`cac box pull`, and `cac box release` before the VM goes): the same reconcile
// as a local container's, by the record this host wrote when it injected into the box (per box id).
// Only the host that injected holds that record, so only it can bring a refreshed login back: a
// reconcile releasing an expired lease on another host cannot.
import { RELEASED_STATES, type Box } from '../../domain/box.js';
import type { AgentDeps } from './deps.js';
import { boxRecordPath, readRecord, type InjectionRecord } from './record.js';
import { syncBackFrom, type SyncBackOutcome } from './sync-back.js';

/** Whether a box's credentials can be read back, and from which container; `note` says why not. */
export type BoxSyncBackPlan = { run: true; target: { containerId: string; remoteUser: string } } | { run: false; note: string };

/** Pure: sync-back from `box` by `record` (this host's, undefined when it injected nothing there). */
export function planBoxSyncBack(box: Box, record: InjectionRecord | undefined): BoxSyncBackPlan {
  if (!record || record.files.length === 0) return { run: false, note: `this host injected no agent credentials into box ${box.id}` };
  if (RELEASED_STATES.includes(box.state)) return { run: false, note: `box ${box.id} is ${box.state}: its credentials went with it` };
  const ws = box.workspace;
  if (!box.sshTarget || !ws?.containerId) return { run: false, note: `box ${box.id} has no dev container` };
  if (ws.containerId !== record.containerId) return { run: false, note: `box ${box.id}'s dev container is not the one this host injected into` };
  return { run: true, target: { containerId: ws.containerId, remoteUser: ws.remoteUser ?? '' } };
}

/** The outcome of a box's sync-back; `note` when there was nothing to read. */
export type BoxSyncBackOutcome = SyncBackOutcome & { note?: string };

/** Brings refreshed credentials back from the box (deps.container runs `docker exec` on the box). */
export async function syncBackBox(deps: AgentDeps, box: Box, signal?: AbortSignal): Promise<BoxSyncBackOutcome> {
  const path = boxRecordPath(deps.stateDir, box.id);
  const plan = planBoxSyncBack(box, await readRecord(deps.files, path));
  if (!plan.run) return { synced: [], warnings: [], note: plan.note };
  return syncBackFrom(deps, path, plan.target, signal);
}
