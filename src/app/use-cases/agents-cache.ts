// agents cache list | warm | prune: the agent CLI cache of this machine (`$XDG_CACHE_HOME/cac/agents`)
// and the read-only agent volumes of its engine. warm installs the pinned versions once in a throwaway
// container of an image with Node (the platform of the containers that will use them), or checks the
// entries already there by restoring them into it, then fills each version's volume from its entry.
import { CacError, isAbortError } from '../../errors.js';
import type { AgentKind } from '../../domain/kinds.js';
import type { CachedAgent } from '../../ports/agent-cache.js';
import { effectiveAgents, type EffectiveAgent } from '../../core/agents/effective-config.js';
import { cachedInstall, type NpmAgent } from '../../core/agents/cache.js';
import { discover } from '../../core/agents/discover.js';
import { ContainerHost } from '../../adapters/host/container.js';
import { hostHome } from '../../util/paths.js';
import type { AgentVolume } from '../../ports/agent-volumes.js';
import { agentCache, agentVolumes } from '../agent-cache.js';
import { engineEnv } from '../engine.js';
import type { AppContext } from '../context.js';

/** The image `warm` installs in when none is given: Node on Debian, the common dev container platform. */
const DEFAULT_WARM_IMAGE = 'node:20-bookworm-slim';

interface CacheEntry {
  agent: AgentKind;
  version: string;
  platform: string;
  bytes: number;
  storedAt: string;
  /** The version config pins now (prune keeps these). */
  pinned: boolean;
}

interface VolumeEntry {
  agent: AgentKind;
  version: string;
  platform: string;
  /** The read-only volume dev containers mount. */
  volume: string;
  /** Containers (any state) that mount it: prune keeps it while there is one. */
  usedBy: number;
  pinned: boolean;
}

export interface AgentsCacheListResult {
  outcome: 'success';
  dir: string;
  entries: CacheEntry[];
  /** The agent volumes of the engine. */
  volumes: VolumeEntry[];
  /** What "latest" was resolved to, by npm package. */
  latest: Record<string, { version: string; resolvedAt: string }>;
}

export async function listAgentCache(ctx: AppContext): Promise<AgentsCacheListResult> {
  const { config } = await ctx.config();
  const cache = agentCache(ctx, config, { local: false });
  const pinned = await pinnedVersions(ctx, config, cache);
  const entries = (await cache.list()).map((e) => entry(e, pinned));
  for (const e of entries) ctx.reporter.emit({ type: 'info', message: `${e.agent} ${e.version} ${e.platform} ${mb(e.bytes)} stored ${e.storedAt}${e.pinned ? ' (pinned)' : ''}` });
  if (entries.length === 0) ctx.reporter.emit({ type: 'info', message: `no agent CLIs cached in ${cache.dir}` });
  const volumes = await volumeEntries(ctx, config, pinned);
  for (const v of volumes) ctx.reporter.emit({ type: 'info', message: `volume ${v.volume} (read-only), used by ${v.usedBy} container${v.usedBy === 1 ? '' : 's'}${v.pinned ? ' (pinned)' : ''}` });
  return { outcome: 'success', dir: cache.dir, entries, volumes, latest: await cache.resolved() };
}

async function volumeEntries(ctx: AppContext, config: Awaited<ReturnType<AppContext['config']>>['config'], pinned: Partial<Record<AgentKind, string>>): Promise<VolumeEntry[]> {
  const volumes = agentVolumes(ctx, config);
  const out: VolumeEntry[] = [];
  try {
    for (const v of await volumes.list(ctx.signal)) out.push(volumeEntry(v, (await volumes.users(v.name, ctx.signal)).length, pinned));
  } catch (e) {
    if (isAbortError(e)) throw e;
    ctx.reporter.emit({ type: 'warning', message: `agent volumes: ${e instanceof Error ? e.message : String(e)}` });
  }
  return out;
}

function volumeEntry(v: AgentVolume, usedBy: number, pinned: Partial<Record<AgentKind, string>>): VolumeEntry {
  return { agent: v.kind, version: v.version, platform: v.platform, volume: v.name, usedBy, pinned: pinned[v.kind] === v.version };
}

interface WarmedAgent {
  agent: AgentKind;
  version: string | null;
  platform: string | null;
  /** `cache`: the entry was there and passed its check; `registry`: installed now and cached. */
  from: 'volume' | 'cache' | 'registry' | null;
  /** The read-only agent volume of this version on the engine (filled from the entry when missing). */
  volume: string | null;
  status: 'ok' | 'warning';
  warnings: string[];
}

export interface AgentsCacheWarmResult {
  outcome: 'success' | 'warnings';
  image: string;
  agents: WarmedAgent[];
}

/** Installs (or checks) the pinned version of each agent in a throwaway container of `image`. */
export async function warmAgentCache(ctx: AppContext, input: { only?: AgentKind[] | undefined; image?: string | undefined; refresh?: boolean }): Promise<AgentsCacheWarmResult> {
  const { config } = await ctx.config();
  const image = input.image ?? DEFAULT_WARM_IMAGE;
  const all = effectiveAgents(config.agents, ctx.env, hostHome(ctx.env));
  const notNpm = input.only?.find((k) => !all.find((a) => a.kind === k)?.npm);
  if (notNpm) {
    throw new CacError('ERR_USAGE', `--agent ${notNpm}: not cached by cac (not an npm-installed agent, or install_command is set)`, {
      hint: `cacheable: ${all
        .filter((a) => a.npm)
        .map((a) => a.kind)
        .join(', ')}`,
    });
  }
  const chosen = all.filter((a): a is NpmAgent => a.npm !== undefined && (input.only ? input.only.includes(a.kind) : a.enabled && config.agents.enabled));
  if (chosen.length === 0) {
    ctx.reporter.emit({ type: 'warning', message: 'no enabled agent is cached by cac', hint: 'enable one ([agents] enabled and [agents.<kind>] enabled) or pass --agent <kind>' });
    return { outcome: 'warnings', image, agents: [] };
  }
  const cache = agentCache(ctx, config, { local: true });
  const docker = (args: string[]) => ctx.host.exec([config.engine.docker_path, ...args], { env: engineEnv(config, ctx.env), signal: ctx.signal });
  ctx.reporter.emit({ type: 'info', message: `Warming the agent cache in a throwaway ${image} container: ${chosen.map((a) => a.kind).join(', ')}` });
  const started = await docker(['run', '-d', '--rm', '--label', 'cac.agent-cache=warm', '--entrypoint', 'sleep', '--', image, '3600']);
  const id = started.stdout.trim();
  if (started.exitCode !== 0 || !/^[0-9a-f]{12,64}$/.test(id)) {
    throw new CacError('ERR_AGENT_CACHE', `cannot start a ${image} container: ${started.stderr.trim().split('\n').pop() ?? `exit ${started.exitCode}`}`, {
      hint: 'pass --image with an image that has Node.js and `sleep`, on the platform of your dev containers',
    });
  }
  try {
    const host = new ContainerHost({ host: ctx.host, containerId: id, dockerPath: config.engine.docker_path, dockerEnv: engineEnv(config, ctx.env) });
    const d = await discover(host, chosen, false, ctx.signal);
    const out: WarmedAgent[] = [];
    for (const a of chosen) out.push(await warmOne(ctx, cache, host, id, a, d, input.refresh === true));
    for (const w of out) ctx.reporter.emit({ type: w.status === 'ok' ? 'info' : 'warning', message: warmedLine(w) });
    return { outcome: out.every((w) => w.status === 'ok') ? 'success' : 'warnings', image, agents: out };
  } finally {
    await docker(['rm', '-f', id]).catch(() => undefined);
  }
}

async function warmOne(
  ctx: AppContext,
  cache: ReturnType<typeof agentCache>,
  host: ContainerHost,
  containerId: string,
  a: NpmAgent,
  d: Awaited<ReturnType<typeof discover>>,
  refresh: boolean,
): Promise<WarmedAgent> {
  const none = { agent: a.kind, version: null, platform: d?.platform ?? null, from: null, volume: null, status: 'warning' as const };
  if (!d?.platform || !d.tools.node) return { ...none, warnings: ['the image has no Node.js (or its platform is unknown): pass --image with Node.js'] };
  try {
    const version = await cache.resolve(a.npm.package, a.npm.version, { refresh, signal: ctx.signal });
    const r = await cachedInstall({ cache, reporter: ctx.reporter }, host, { containerId, remoteUser: '' }, { ...a, npm: { ...a.npm, version } }, { ...d, platform: d.platform }, {}, ctx.signal);
    const warnings = r.warning ? [r.warning] : [];
    const volume = r.installed ? await fillVolume(ctx, cache, { kind: a.kind, version, platform: d.platform }, warnings) : null;
    return { agent: a.kind, version, platform: d.platform, from: r.from ?? null, volume, status: r.installed && warnings.length === 0 ? 'ok' : 'warning', warnings };
  } catch (e) {
    if (isAbortError(e)) throw e;
    return { ...none, warnings: [e instanceof Error ? e.message : String(e)] };
  }
}

// the version's volume on the engine: there already, or filled now from the entry just checked
async function fillVolume(ctx: AppContext, cache: ReturnType<typeof agentCache>, key: { kind: AgentKind; version: string; platform: string }, warnings: string[]): Promise<string | null> {
  const { config } = await ctx.config();
  const volumes = agentVolumes(ctx, config);
  try {
    const have = (await volumes.list(ctx.signal)).find((v) => v.kind === key.kind && v.version === key.version && v.platform === key.platform);
    if (have) return have.name;
    const tar = await cache.open(key);
    return tar ? (await volumes.fill(key, tar, ctx.signal)).name : null;
  } catch (e) {
    if (isAbortError(e)) throw e;
    warnings.push(`no agent volume: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

function warmedLine(w: WarmedAgent): string {
  if (w.status === 'warning') return `${w.agent}: ${w.warnings.join('; ')}`;
  return `${w.agent} ${w.version} (${w.platform}): ${w.from === 'cache' ? 'cached, checked' : 'installed from the registry and cached'}${w.volume ? `; volume ${w.volume}` : ''}`;
}

export interface AgentsCachePruneResult {
  outcome: 'success';
  removed: CacheEntry[];
  kept: number;
  freedBytes: number;
  /** Agent volumes removed (with their data), and those kept because a container mounts them. */
  removedVolumes: string[];
  inUseVolumes: string[];
}

/** Removes the entries config no longer pins (every entry with `all`). */
export async function pruneAgentCache(ctx: AppContext, input: { all?: boolean }): Promise<AgentsCachePruneResult> {
  const { config } = await ctx.config();
  const cache = agentCache(ctx, config, { local: false });
  const pinned = await pinnedVersions(ctx, config, cache);
  const entries = (await cache.list()).map((e) => entry(e, pinned));
  const removed = entries.filter((e) => input.all === true || !e.pinned);
  for (const e of removed) await cache.drop({ kind: e.agent, version: e.version, platform: e.platform });
  const freedBytes = removed.reduce((n, e) => n + e.bytes, 0);
  for (const e of removed) ctx.reporter.emit({ type: 'info', message: `removed ${e.agent} ${e.version} ${e.platform} (${mb(e.bytes)})` });
  ctx.reporter.emit({ type: 'info', message: `pruned ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'}, freed ${mb(freedBytes)}; kept ${entries.length - removed.length}` });
  const { removedVolumes, inUseVolumes } = await pruneVolumes(ctx, config, pinned, input.all === true);
  return { outcome: 'success', removed, kept: entries.length - removed.length, freedBytes, removedVolumes, inUseVolumes };
}

// unpinned volumes (all with `all`) and unfinished fills; a volume a container mounts stays
async function pruneVolumes(ctx: AppContext, config: Awaited<ReturnType<AppContext['config']>>['config'], pinned: Partial<Record<AgentKind, string>>, all: boolean) {
  const volumes = agentVolumes(ctx, config);
  const removedVolumes: string[] = [];
  const inUseVolumes: string[] = [];
  try {
    for (const v of await volumes.list(ctx.signal)) {
      if (!all && pinned[v.kind] === v.version) continue;
      if ((await volumes.remove(v, ctx.signal)) === 'removed') removedVolumes.push(v.name);
      else inUseVolumes.push(v.name);
    }
    for (const data of await volumes.leftovers(ctx.signal)) {
      if ((await volumes.remove({ name: data, data }, ctx.signal)) === 'removed') removedVolumes.push(data);
    }
  } catch (e) {
    if (isAbortError(e)) throw e;
    ctx.reporter.emit({ type: 'warning', message: `agent volumes: ${e instanceof Error ? e.message : String(e)}` });
  }
  for (const name of removedVolumes) ctx.reporter.emit({ type: 'info', message: `removed volume ${name}` });
  for (const name of inUseVolumes) ctx.reporter.emit({ type: 'info', message: `kept volume ${name}: a container mounts it` });
  return { removedVolumes, inUseVolumes };
}

// kind → the exact version config pins now ("latest" as recorded; never a registry round trip here)
async function pinnedVersions(ctx: AppContext, config: Awaited<ReturnType<AppContext['config']>>['config'], cache: ReturnType<typeof agentCache>): Promise<Partial<Record<AgentKind, string>>> {
  const latest = await cache.resolved();
  const out: Partial<Record<AgentKind, string>> = {};
  for (const a of effectiveAgents(config.agents, ctx.env, hostHome(ctx.env)) as EffectiveAgent[]) {
    if (!a.npm) continue;
    const v = a.npm.version === 'latest' ? latest[a.npm.package]?.version : a.npm.version;
    if (v) out[a.kind] = v;
  }
  return out;
}

function entry(e: CachedAgent, pinned: Partial<Record<AgentKind, string>>): CacheEntry {
  return { agent: e.kind, version: e.version, platform: e.platform, bytes: e.bytes, storedAt: e.storedAt, pinned: pinned[e.kind] === e.version };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
