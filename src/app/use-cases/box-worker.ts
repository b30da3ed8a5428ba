// The background box worker: `cac box _provision <id>`, started detached by `box request` for a cold box
// (app/boxes.ts spawnWorker), provisions it through the steps and exits; its output goes to the box's log.
// With `envStdin` its stdin holds the requester's ENCRYPTED .env, written by a final `env` step.
import type { Box } from '../../domain/box.js';
import type { BoxStore } from '../../ports/box-store.js';
import { moveBox } from '../../core/boxes/transition.js';
import { provisionBox, type ProvisionOutcome } from '../../core/provision/pipeline.js';
import { readAll } from '../../util/read-all.js';
import { createDriver, openStore, pipelineDeps } from '../boxes.js';
import type { AppContext } from '../context.js';

export interface WorkerResult {
  outcome: 'success' | 'error';
  /** How provisioning ended: standby, ready, failed, or lost (someone else moved the box). */
  provision: ProvisionOutcome['outcome'];
  /** The box as provisioning left it (a failed box records why in `error`). */
  box: Box | null;
}

export async function runBoxWorker(ctx: AppContext, input: { id: string; envStdin: boolean }): Promise<WorkerResult> {
  const { config } = await ctx.config();
  const store = await openStore(config, ctx.stateDir, { reporter: ctx.reporter });
  let deps: Awaited<ReturnType<typeof pipelineDeps>> | undefined;
  try {
    const env = input.envStdin ? await workerEnv(ctx, store, input.id) : undefined;
    deps = await pipelineDeps(ctx, config, store, await createDriver(ctx, config, store), env ? { env: env.injector } : {});
    const r = await provisionBox(deps, input.id, { signal: ctx.signal, ...(env ? { envPayload: env.envelope } : {}) });
    return { outcome: r.outcome === 'failed' ? 'error' : 'success', provision: r.outcome, box: r.box };
  } finally {
    await deps?.close();
    await store.close();
  }
}

// A payload the worker cannot use fails the box at once (its requester may be waiting on it).
async function workerEnv(ctx: AppContext, store: BoxStore, id: string) {
  try {
    return await (await import('../secrets.js')).boxEnv(ctx, await readAll(ctx.stdio.stdin), 'the .env payload on stdin');
  } catch (e) {
    const box = await store.get(id);
    const error = `env: ${e instanceof Error ? e.message : String(e)}`;
    if (box?.state === 'requested') await moveBox(store, box, 'failed', { patch: { error }, now: Date.now() });
    throw e;
  }
}
