// openController: the library's one-call entry, wired exactly as the CLI wires `cac box request` and
// `cac pool reconcile` for the same config (the same app functions: openStore, createDriver, allocator,
// poolManager, pipelineDeps, afterClaimSteps). The one difference: a cold box provisions in the
// background of the caller's process instead of a detached `cac box _provision` worker.
import { CacError } from '../../errors.js';
import type { BoxStore } from '../../ports/box-store.js';
import type { VmDriver } from '../../ports/vm-driver.js';
import type { SshTarget } from '../../domain/box.js';
import type { PoolDefinition } from '../../domain/pool.js';
import type { AllocatorService } from '../../core/boxes/allocator.js';
import type { DefaultPoolManager } from '../../core/boxes/reconciler.js';
import type { ClosableHost } from '../../core/provision/connections.js';
import { EnvInjector, type Decrypter } from '../../core/provision/env.js';
import type { EncryptionService } from '../../core/secrets/envelope.js';
import { afterClaimSteps, allocator, configuredPools, createDriver, openStore, pipelineDeps, poolManager, reconcileLockTtlMs } from '../boxes.js';
import { boxHost } from '../provision.js';
import { encryptionFor } from '../secrets.js';
import type { AppContext } from '../context.js';
import { BackgroundProvisioning } from './background.js';
import { libraryContext, type LibraryOptions } from './context.js';

/** What `openController` hands back. */
export interface Controller {
  /** The configured store (`[store] url`, else SQLite in the state dir). */
  store: BoxStore;
  /** The configured VM driver (`[boxes] driver`), scoped to the store as the CLI's is. */
  vmManager: VmDriver;
  /** cac's SSH to a box: an SshHost with cac's key, trusting only the box's pinned host key. */
  executor: (target: SshTarget) => Promise<ClosableHost>;
  /** `requestBox` behaves as `cac box request`: a warm claim, else a cold box provisioning in this process. */
  allocator: AllocatorService;
  /** `reconcilePools(pools)` behaves as `cac pool reconcile`. */
  poolManager: DefaultPoolManager;
  /** The config's `[[pools]]`, validated: `poolManager.reconcilePools(pools)` is `cac pool reconcile`. */
  pools: PoolDefinition[];
  /** Waits for the cold boxes still provisioning in this process, then closes SSH connections and the store. */
  close(): Promise<void>;
}

/** The store, driver, allocator and pool manager the CLI would use with that config. */
export async function openController(opts: LibraryOptions = {}): Promise<Controller> {
  const ctx = libraryContext(opts);
  const { config } = await ctx.config();
  // bad [[pools]] entries and a bad lock TTL fail before anything opens, as in the CLI
  const pools = configuredPools(config);
  reconcileLockTtlMs(ctx.env);
  const store = await openStore(config, ctx.stateDir, { reporter: ctx.reporter });
  const closers: Array<() => Promise<void>> = [];
  try {
    const vmManager = await createDriver(ctx, config, store);
    const env = new EnvInjector(configuredKeys(ctx));
    const after = await afterClaimSteps(ctx, config, { env });
    closers.push(after.close);
    const pipeline = await pipelineDeps(ctx, config, store, vmManager, { env });
    closers.push(pipeline.close);
    const background = new BackgroundProvisioning(async () => pipeline, ctx.reporter);
    closers.unshift(() => background.idle());
    const checkEnvPayload = async (payload: string) => {
      if (config.boxes.provision === 'vm') {
        throw new CacError('ERR_INVALID_INPUT', 'envPayload: boxes get no .env with [boxes] provision = "vm" (there is no checkout to write it into)', {
          hint: 'set [boxes] provision = "full", or drop envPayload',
        });
      }
      await env.check(payload, 'envPayload');
    };
    return {
      store,
      vmManager,
      executor: (target) => boxHost(ctx, config, target),
      allocator: await allocator(ctx, config, store, { afterClaim: after.steps, driver: vmManager, startProvisioning: background.start, checkEnvPayload }),
      poolManager: await poolManager(ctx, config, store, { withSteps: true, driver: vmManager }),
      pools,
      async close() {
        for (const close of closers) await close();
        await store.close();
      },
    };
  } catch (e) {
    for (const close of closers) await close().catch(() => undefined);
    await store.close();
    throw e;
  }
}

/** The master keys of the config and environment (as `cac box request --env-file` loads them), loaded on first use: a controller opens without one. */
function configuredKeys(ctx: AppContext): Decrypter {
  let service: Promise<EncryptionService> | undefined;
  return {
    async withDecrypted(envelope, fn) {
      service ??= encryptionFor(ctx).catch((e) => {
        service = undefined;
        throw e;
      });
      return (await service).withDecrypted(envelope, fn);
    },
  };
}
