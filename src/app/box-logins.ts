// Agent logins on boxes, from the requester's side: refreshed credentials brought back from a box's dev
// container to this host (by the record this host wrote when it injected there), the record dropped once
// the box is gone, and the token forks a box request makes.
import { rm } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import type { Box } from '../domain/box.js';
import type { BoxStore } from '../ports/box-store.js';
import { planBoxSyncBack, syncBackBox, type BoxSyncBackOutcome } from '../core/agents/box-sync-back.js';
import { findForks, type ForkFinding } from '../core/agents/forks.js';
import { boxRecordPath, readRecord } from '../core/agents/record.js';
import { agentDeps } from './agents.js';
import { placeChecks } from './login-places.js';
import type { AppContext } from './context.js';

/** Copies the credentials agents refreshed in the box's dev container back to this host (SSH only when this host injected there). */
export async function pullBoxLogins(ctx: AppContext, config: Config, box: Box): Promise<BoxSyncBackOutcome> {
  const base = agentDeps(ctx, config);
  const plan = planBoxSyncBack(box, await readRecord(base.files, boxRecordPath(ctx.stateDir, box.id)));
  if (!plan.run || !box.sshTarget) return { synced: [], warnings: [], ...(plan.run ? {} : { note: plan.note }) };
  const { boxHost, boxAgentDeps } = await import('./provision.js');
  const host = await boxHost(ctx, config, box.sshTarget);
  try {
    return await syncBackBox(boxAgentDeps(ctx, config)(host), box, ctx.signal);
  } finally {
    await host.close();
  }
}

/** Drops this host's record of a released box (its logins are no longer live there). */
export async function forgetBoxLogins(ctx: AppContext, boxId: string): Promise<void> {
  await rm(boxRecordPath(ctx.stateDir, boxId), { force: true });
}

/**
 * The token forks of a box just granted: a warm box's rotating logins (injected before its claim) live
 * elsewhere too, or those a cold box is about to get, with what its `on_fork` will do.
 */
export async function requestForks(ctx: AppContext, config: Config, store: BoxStore, box: Box, warm: boolean): Promise<ForkFinding[]> {
  if (!config.agents.enabled || config.boxes.provision === 'vm') return [];
  const deps = { ...agentDeps(ctx, config), places: placeChecks(ctx, config, store) };
  return findForks(deps, { kind: 'box', id: box.id }, { held: warm });
}
