// `cac pool prepare`: for each pool whose devcontainer config hash differs from what is prepared (or
// nothing is), a throwaway box with an empty inner engine runs ssh_ready, repo and devcontainer (so its
// engine holds the image, features, the UID-update layer and the build cache), is stopped cleanly, saved
// by the driver as the pool's prepared state, and destroyed. The box is never recorded in the store; its
// VM carries `cac.box=prep_…`, so an interrupted prepare leaves an orphan the next reconcile removes.
import { CacError } from '../../errors.js';
import type { Host } from '../../ports/host.js';
import type { Reporter } from '../../ports/reporter.js';
import type { RepoSource } from '../../ports/repo-source.js';
import type { PreparedState, VmDriver } from '../../ports/vm-driver.js';
import { applyPatch, newBoxRecord, poolKeyOf, type Box } from '../../domain/box.js';
import type { PoolDefinition } from '../../domain/pool.js';
import type { ProvisionStep, StepContext } from '../provision/pipeline.js';
import { CONFIG_PATHS, FINISH_PREPARE } from '../provision/prepare-scripts.js';
import { boxConfigHash, preloadIds, type PreparedUseDeps } from '../provision/prepared-use.js';
import { newestPrepared, prepareDecision, preparedConfigHash, supersededPrepared } from './prepared.js';

export interface PreparePoolDeps {
  driver: VmDriver;
  /** ssh_ready, repo, devcontainer: what makes a box's images (no agents, no .env). */
  steps: readonly ProvisionStep[];
  /** The box's Host once ssh_ready passed (the steps' own connection); `close` ends it. */
  host(box: Box): Promise<Host>;
  close(boxId: string): Promise<void>;
  /** Reads the pool's devcontainer config here (a local repo or its mirror). */
  source: RepoSource;
  hash: Omit<PreparedUseDeps, 'reporter'>;
  sshPublicKey: string;
  labels: Record<string, string>;
  reporter: Reporter;
  now: () => number;
  newId: () => string;
  /** How long one prepare may take. */
  timeoutMs: number;
}

export interface PrepareReport {
  poolKey: string;
  repoUrl: string;
  baseBranch: string;
  action: 'prepared' | 'unchanged';
  reason: string;
  configHash: string;
  preparedAt: number;
  durationMs: number;
  /** Older prepared states of the pool removed after this one was saved. */
  removed: string[];
}

/** The driver's prepared states; a driver without them cannot prepare pools. */
export function preparedStatesOf(driver: VmDriver) {
  if (!driver.prepared) {
    throw new CacError('ERR_PREPARE_UNSUPPORTED', `the ${driver.name} driver cannot prepare pools`, {
      hint: 'pools are prepared on the docker driver with an inner engine ([boxes] driver = "docker")',
    });
  }
  return driver.prepared;
}

/** The pool's config hash computed here, or undefined when the repo or its config cannot be read here. */
async function localHash(deps: PreparePoolDeps, pool: PoolDefinition, signal: AbortSignal): Promise<string | undefined> {
  try {
    const [configObjects, preloads] = await Promise.all([deps.source.objectIds(pool.repoUrl, pool.baseBranch, CONFIG_PATHS, { signal }), preloadIds(deps.hash, signal)]);
    return preparedConfigHash({ configObjects, cliVersion: deps.hash.cliVersion, preloads });
  } catch {
    return undefined;
  }
}

export async function preparePool(deps: PreparePoolDeps, pool: PoolDefinition, opts: { force?: boolean; signal: AbortSignal }): Promise<PrepareReport> {
  const started = deps.now();
  const states = preparedStatesOf(deps.driver);
  const poolKey = poolKeyOf(pool.repoUrl, pool.baseBranch);
  const all = await states.list({ signal: opts.signal });
  const current = newestPrepared(all).get(poolKey);
  const decision = prepareDecision(current, await localHash(deps, pool, opts.signal), opts);
  const base = { poolKey, repoUrl: pool.repoUrl, baseBranch: pool.baseBranch, reason: decision.reason };
  if (!decision.prepare && current) return { ...base, action: 'unchanged', configHash: current.configHash, preparedAt: current.preparedAt, durationMs: deps.now() - started, removed: [] };

  deps.reporter.emit({ type: 'info', message: `preparing ${poolKey}: ${decision.reason}` });
  const saved = await prepareOnce(deps, pool, opts.signal);
  // what this one replaced; a state being copied into a box right now stays until the next prepare
  const removed: string[] = [];
  for (const old of supersededPrepared([...all, saved]).filter((p) => p.poolKey === poolKey)) {
    await states.remove(old.ref, { signal: opts.signal }).then(
      () => removed.push(old.ref),
      () => undefined,
    );
  }
  return { ...base, action: 'prepared', configHash: saved.configHash, preparedAt: saved.preparedAt, durationMs: deps.now() - started, removed };
}

async function prepareOnce(deps: PreparePoolDeps, pool: PoolDefinition, parent: AbortSignal): Promise<PreparedState> {
  const signal = AbortSignal.any([parent, AbortSignal.timeout(deps.timeoutMs)]);
  const now = deps.now();
  let box = newBoxRecord({ repoUrl: pool.repoUrl, baseBranch: pool.baseBranch, now, deadlineAt: now + deps.timeoutMs }, `prep_${deps.newId()}`, `prepare:${poolKeyOf(pool.repoUrl, pool.baseBranch)}`);
  const spec = { boxId: box.id, poolKey: box.poolKey, labels: deps.labels, sshPublicKey: deps.sshPublicKey, unprepared: true };
  const vm = await deps.driver.create(spec, { idempotencyKey: box.idempotencyKey, signal });
  try {
    box = applyPatch(box, { vmRef: vm.vmRef }, deps.now());
    const ctx: StepContext = { box, vm, signal };
    for (const step of deps.steps) {
      const patch = await step.run(ctx).catch((e: unknown) => {
        throw new CacError('ERR_PREPARE', `preparing ${box.poolKey}: step ${step.name} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      });
      ctx.box = applyPatch(ctx.box, patch ?? {}, deps.now());
    }
    const ws = ctx.box.workspace;
    if (!ws?.cli) throw new CacError('ERR_PREPARE', `preparing ${box.poolKey}: the devcontainer step left no dev container`);
    const host = await deps.host(ctx.box);
    const configHash = await boxConfigHash(deps.hash, host, ws.folder, signal);
    const preparedAt = deps.now();
    const marker = JSON.stringify({ poolKey: box.poolKey, configHash, preparedAt });
    const r = await host.exec(['sh', '-c', FINISH_PREPARE, 'sh', box.id, marker, ws.cli, deps.hash.cliVersion], { signal });
    if (r.exitCode !== 0) throw new CacError('ERR_PREPARE', `preparing ${box.poolKey}: stopping the inner engine failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    await deps.close(box.id);
    return await preparedStatesOf(deps.driver).save(vm, { poolKey: box.poolKey, configHash, preparedAt }, { signal });
  } finally {
    await deps.close(box.id).catch(() => undefined);
    await deps.driver.destroy(vm.vmRef).catch(() => undefined);
  }
}
