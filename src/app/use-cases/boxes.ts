// box request | list | show | renew | release | pull | exec | ssh: the store, the allocator and the box's SSH endpoint
// wired from config. Inputs arrive validated by the CLI (or are validated by the allocator for the library).
import { readFile } from 'node:fs/promises';
import { CacError, isAbortError } from '../../errors.js';
import type { AgentKind, OnFork } from '../../domain/kinds.js';
import type { ForkAction, LoginPlace } from '../../core/agents/forks.js';
import type { Config } from '../../config/schema.js';
import { leaseRemainingMs, LIVE_STATES, RELEASED_STATES, type Box } from '../../domain/box.js';
import { freshnessOf, type BoxFreshness } from '../../domain/freshness.js';
import type { BoxStore } from '../../ports/box-store.js';
import type { AllocatorService } from '../../core/boxes/allocator.js';
import type { ProvisionStep } from '../../core/provision/pipeline.js';
import { afterClaimSteps, allocator, openStore, workerLog } from '../boxes.js';
import type { AppContext } from '../context.js';

export type { Box } from '../../domain/box.js';

/** Opens the store (read-only for commands that only read), runs `fn` with an allocator over it, always closes the store. */
async function withAllocator<T>(ctx: AppContext, fn: (alloc: AllocatorService, store: BoxStore) => Promise<T>, opts: { afterClaim?: readonly ProvisionStep[]; readOnly?: boolean } = {}): Promise<T> {
  const { afterClaim, readOnly } = opts;
  const { config } = await ctx.config();
  const store = await openStore(config, ctx.stateDir, { readOnly: readOnly === true, reporter: ctx.reporter });
  try {
    return await fn(await allocator(ctx, config, store, afterClaim ? { afterClaim } : {}), store);
  } finally {
    await store.close();
  }
}

export interface BoxRequestInput {
  repoUrl: string;
  branch?: string | undefined;
  /** Who the box is for (a ticket, a CI job, a user). */
  requestedBy: string;
  /** An encrypted .env payload (cac env encrypt) to write into the box. */
  envFile?: string | undefined;
  /** Wait until the box is ready (a cold one provisions in the background otherwise). */
  wait: boolean;
  timeoutMs: number;
  /** `--ttl`: this box's lease; default `[boxes] lease_ttl`. */
  leaseMs?: number | undefined;
}

/** A box document: the record and what is left of its lease (ms, 0 once expired; null with no lease or released). */
export type BoxDoc = Box & { leaseRemainingMs: number | null; freshness: BoxFreshness };

const boxDoc = (box: Box, now = Date.now()): BoxDoc => ({ ...box, leaseRemainingMs: leaseRemainingMs(box, now), freshness: freshnessOf(box) });

/** A rotating agent login the box holds (warm) or is about to get (cold) that is live elsewhere too. */
interface BoxFork {
  agent: AgentKind;
  /** The login's credential file on this host. */
  file: string;
  /** The other live containers and boxes holding it. */
  places: LoginPlace[];
  onFork: OnFork;
  /** What the box's injection does (did, for a warm box) with it. */
  action: ForkAction;
}

export interface BoxRequestResult {
  outcome: 'success';
  warm: boolean;
  box: BoxDoc;
  /** Token forks (a warning each; the request still succeeds). */
  forks: BoxFork[];
}

/** A box for a repo and branch: warm from a pool at once, else a cold box provisioned by a background worker. */
export async function requestBox(ctx: AppContext, input: BoxRequestInput): Promise<BoxRequestResult> {
  const { config } = await ctx.config();
  const env = await requestEnv(ctx, config, input.envFile);
  try {
    // the after-claim steps and a cold box's worker log in with it: a host that cannot load it fails before any claim
    await (await import('../box-identity.js')).boxIdentity(ctx, config);
    return await withAllocator(
      ctx,
      async (alloc, store) => {
        const wait = input.wait ? { waitForCapacity: { timeoutMs: input.timeoutMs, signal: ctx.signal } } : {};
        const until = Date.now() + input.timeoutMs;
        const grant = await alloc.requestBox({
          repoUrl: input.repoUrl,
          ...(input.branch !== undefined ? { branch: input.branch } : {}),
          requestedBy: input.requestedBy,
          ...(input.leaseMs !== undefined ? { leaseMs: input.leaseMs } : {}),
          ...(env.envPayload !== undefined ? { envPayload: env.envPayload } : {}),
          ...wait,
        });
        const forks = await boxForks(ctx, config, store, grant.box, grant.warm);
        const box = input.wait && !grant.warm ? await alloc.waitForBox(grant.box.id, { timeoutMs: Math.max(1, until - Date.now()), signal: ctx.signal }) : grant.box;
        return { outcome: 'success', warm: grant.warm, box: boxDoc(box), forks };
      },
      { afterClaim: env.afterClaim },
    );
  } finally {
    await env.close();
  }
}

// warned before a cold box's worker injects (it applies on_fork itself); never a failed request
async function boxForks(ctx: AppContext, config: Config, store: BoxStore, box: Box, warm: boolean): Promise<BoxFork[]> {
  const { requestForks } = await import('../box-logins.js');
  let found: Awaited<ReturnType<typeof requestForks>>;
  try {
    found = await requestForks(ctx, config, store, box, warm);
  } catch (e) {
    if (isAbortError(e)) throw e;
    ctx.reporter.emit({ type: 'warning', message: `${box.id}: could not look for token forks: ${e instanceof Error ? e.message : String(e)}` });
    return [];
  }
  for (const f of found) ctx.reporter.emit({ type: 'warning', message: `${box.id}: ${f.agent}: ${f.warning}` });
  return found.map((f) => ({ agent: f.agent, file: f.file, places: f.places, onFork: f.onFork, action: f.action }));
}

interface RequestEnv {
  /** The encrypted payload for the allocator (a cold box's worker gets it on stdin). */
  envPayload?: string;
  /** After a warm claim: switch to the requested branch, write the .env. */
  afterClaim: ProvisionStep[];
  /** Closes the SSH connections the after-claim steps opened. */
  close(): Promise<void>;
}

// The requester's encrypted .env, checked before any claim (an envelope that decrypts with the loaded
// keys), and the after-claim steps that write it.
async function requestEnv(ctx: AppContext, config: Config, file: string | undefined): Promise<RequestEnv> {
  const env = file === undefined ? undefined : await envFile(ctx, config, file);
  const after = await afterClaimSteps(ctx, config, env ? { env: env.injector } : {});
  return { ...(env ? { envPayload: env.envelope } : {}), afterClaim: after.steps, close: after.close };
}

async function envFile(ctx: AppContext, config: Config, file: string) {
  if (config.boxes.provision === 'vm') {
    throw new CacError('ERR_INVALID_INPUT', '--env-file: boxes get no .env with [boxes] provision = "vm" (there is no checkout to write it into)', {
      hint: 'set [boxes] provision = "full", or drop --env-file',
    });
  }
  const raw = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new CacError('ERR_INVALID_INPUT', `--env-file: cannot read ${file} (${e.code ?? e.message})`, { hint: 'check the path' });
  });
  const { boxEnv } = await import('../secrets.js');
  return boxEnv(ctx, raw, `--env-file: ${file}`);
}

/** The background worker's log of a cold box. */
export function boxLog(ctx: AppContext, id: string): string {
  return workerLog(ctx.stateDir, id);
}

/** Boxes oldest first: the live ones but failed, or every box with `all`. */
export async function listBoxes(ctx: AppContext, input: { all: boolean }): Promise<{ outcome: 'success'; boxes: BoxDoc[] }> {
  const boxes = await withAllocator(ctx, (alloc) => alloc.listBoxes(input.all ? {} : { states: LIVE_STATES.filter((s) => s !== 'failed') }), { readOnly: true });
  const now = Date.now();
  return { outcome: 'success', boxes: boxes.map((b) => boxDoc(b, now)) };
}

/** One box; with `wait`, once it is ready. */
export async function showBox(ctx: AppContext, input: { id: string; wait: boolean; timeoutMs: number }): Promise<{ outcome: 'success'; box: BoxDoc }> {
  const box = await withAllocator(ctx, (alloc) => (input.wait ? alloc.waitForBox(input.id, { timeoutMs: input.timeoutMs, signal: ctx.signal }) : alloc.getBox(input.id)), { readOnly: true });
  return { outcome: 'success', box: boxDoc(box) };
}

/** Sets a ready box's lease to `leaseMs` (default `[boxes] lease_ttl`) from now: only by its claimant, unless `force`. */
export async function renewLease(ctx: AppContext, input: { id: string; leaseMs?: number | undefined; claimant: string; force: boolean }): Promise<{ outcome: 'success'; box: BoxDoc }> {
  const box = await withAllocator(ctx, (alloc) => alloc.renewLease(input.id, input.leaseMs, { claimant: input.claimant, force: input.force }));
  return { outcome: 'success', box: boxDoc(box) };
}

/** Agent credentials brought back from a box to this host. */
export interface BoxLoginsPulled {
  /** Host paths updated. */
  synced: string[];
  warnings: string[];
  /** Why nothing was read (this host injected nothing there, no dev container). */
  note?: string;
}

/**
 * Releases the box: first (with `[agents] sync_back`) the credentials agents refreshed in it come back to
 * this host, then its VM is removed and the record ends destroyed. A sync-back problem is a warning.
 */
export async function releaseBox(ctx: AppContext, input: { id: string }): Promise<{ outcome: 'success'; box: Box; agents: BoxLoginsPulled }> {
  const { config } = await ctx.config();
  const { pullBoxLogins, forgetBoxLogins } = await import('../box-logins.js');
  const box = await withAllocator(ctx, async (alloc) => {
    const before = await alloc.getBox(input.id);
    const agents = config.agents.sync_back ? await releasePull(ctx, () => pullBoxLogins(ctx, config, before)) : { synced: [], warnings: [] };
    return { box: await alloc.releaseBox(input.id, { signal: ctx.signal }), agents };
  });
  if (box.box.state === 'destroyed') await forgetBoxLogins(ctx, box.box.id);
  ctx.reporter.emit({ type: 'info', message: `released ${box.box.id}: ${box.box.state}` });
  return { outcome: 'success', ...box };
}

// a release goes on whatever happens to its sync-back: the problem is a warning
async function releasePull(ctx: AppContext, pull: () => Promise<BoxLoginsPulled>): Promise<BoxLoginsPulled> {
  let out: BoxLoginsPulled;
  try {
    out = await pull();
  } catch (e) {
    if (isAbortError(e)) throw e;
    out = { synced: [], warnings: [`could not read the agents' credentials on the box: ${e instanceof Error ? e.message : String(e)}`] };
  }
  reportPulled(ctx, out);
  return out;
}

function reportPulled(ctx: AppContext, out: BoxLoginsPulled): void {
  out.warnings.forEach((message) => ctx.reporter.emit({ type: 'warning', message: `sync-back: ${message}` }));
  if (out.synced.length) ctx.reporter.emit({ type: 'info', message: `Copied back refreshed credentials: ${out.synced.join(', ')}` });
}

/** Copies the credentials agents refreshed in the box's dev container back to this host (the one that injected them). */
export async function pullBox(ctx: AppContext, input: { id: string }): Promise<{ outcome: 'success' | 'warnings'; box: string } & BoxLoginsPulled> {
  const box = await liveBox(ctx, input.id);
  const { pullBoxLogins } = await import('../box-logins.js');
  const out = await pullBoxLogins(ctx, (await ctx.config()).config, box);
  reportPulled(ctx, out);
  return { outcome: out.warnings.length ? 'warnings' : 'success', box: box.id, ...out };
}

/** The box, reachable: not released, SSH target known. */
async function liveBox(ctx: AppContext, id: string): Promise<Box & { sshTarget: NonNullable<Box['sshTarget']> }> {
  const { config } = await ctx.config();
  const store: BoxStore = await openStore(config, ctx.stateDir, { readOnly: true, reporter: ctx.reporter });
  const box = await store.get(id).finally(() => store.close());
  if (!box) throw new CacError('ERR_BOX_NOT_FOUND', `no box ${id}`, { hint: "see 'cac box list'" });
  if (RELEASED_STATES.includes(box.state)) throw new CacError('ERR_BOX_GONE', `box ${id} is ${box.state}`, { hint: "request a new one with 'cac box request'" });
  if (!box.sshTarget) throw new CacError('ERR_BOX_NOT_PROVISIONED', `box ${id} has no SSH endpoint yet (state ${box.state})`, { hint: `wait for it: 'cac box show ${id} --wait'` });
  return { ...box, sshTarget: box.sshTarget };
}

/**
 * Runs `argv` in the box's dev container (as its remote user, in its workspace folder, through the user's
 * login shell) with one `docker exec` on the box over SSH, from what the box record knows: no
 * devcontainer CLI, no separate environment probe; it touches the box's exec marker first (idle_timeout).
 * stdio passes through; resolves with the command's status.
 */
export async function execInBox(ctx: AppContext, input: { id: string; argv: readonly string[] }): Promise<number> {
  const box = await liveBox(ctx, input.id);
  const [{ requireContainer }, { boxHost }, { loginExecCall }, { AGENTS_ENV_FILE }, { markExecArgv }] = await Promise.all([
    import('../../core/provision/box-workspace.js'),
    import('../provision.js'),
    import('../../adapters/engine/container-exec.js'),
    import('../../core/agents/finish-script.js'),
    import('../../core/boxes/activity-probe.js'),
  ]);
  const ws = requireContainer(box);
  const call = loginExecCall({
    docker: 'docker',
    containerId: ws.containerId,
    command: input.argv,
    ...(ws.remoteUser ? { user: ws.remoteUser } : {}),
    folder: ws.remoteWorkspaceFolder,
    stdin: true,
    tty: false,
    sourceFiles: [AGENTS_ENV_FILE],
  });
  const host = await boxHost(ctx, (await ctx.config()).config, box.sshTarget);
  try {
    // the exec marker tells reconcile's idle probe ([boxes] idle_timeout) the box was used, however short the exec
    return (await host.exec(markExecArgv(box.id, call.argv), { inherit: true, signal: ctx.signal })).exitCode;
  } finally {
    await host.close();
  }
}

/** Opens the system ssh client on the box, trusting only its pinned host key; resolves with its exit status. */
export async function sshToBox(ctx: AppContext, input: { id: string; argv: readonly string[] }): Promise<number> {
  const box = await liveBox(ctx, input.id);
  const [{ boxIdentity }, { interactiveSsh }] = await Promise.all([import('../box-identity.js'), import('../../adapters/host/ssh-client.js')]);
  const keys = await boxIdentity(ctx, (await ctx.config()).config);
  return interactiveSsh(box.sshTarget, keys.privateKey, input.argv, { env: ctx.childEnv });
}
