// Token forks: a rotating login (logins.ts) this host injected into more than one live container or
// box at once. The places come from the sync-back records in the state dir (local containers: one per
// workspace; boxes: one per box id), kept only when they are live (a running container, a box not
// released). The decisions are pure; messages name files and places, never a credential's content.
import type { AgentKind, OnFork } from '../../domain/kinds.js';
import type { AgentDeps, PlaceChecks } from './deps.js';
import { effectiveAgents, shownHost, type EffectiveAgent } from './effective-config.js';
import type { HostFiles } from './host-material.js';
import { loginKind } from './logins.js';
import type { SyncedFile } from './plan.js';
import { boxRecordsDir, readRecord, recordsDir } from './record.js';
import { forwardedNames } from './validate.js';

/** A container or box this host injected credentials into. */
export interface LoginPlace {
  kind: 'container' | 'box';
  /** The container's id, or the box's. */
  id: string;
  /** The workspace folder (of this host for a container, on the box for a box). */
  workspace: string;
}

/** A place and the credential files it received (from its record). */
export interface Holding {
  place: LoginPlace;
  files: readonly Pick<SyncedFile, 'agent' | 'host'>[];
}

/** A rotating login on this host: the agent and its credential file (absolute host path). */
export interface Login {
  agent: AgentKind;
  file: string;
}

/** A login and the live places holding it. */
export interface LoginHolders extends Login {
  places: LoginPlace[];
}

/** What a box injection does with a login live elsewhere. */
export type ForkAction = 'inject' | 'skip' | 'api-key-only';

/** One agent's decision, handed to inject(): the action and the warning that explains it. */
export interface LoginDecision {
  action: ForkAction;
  warning: string;
}

/** Every recorded place: local containers first, then boxes. */
async function readHoldings(files: HostFiles, stateDir: string): Promise<Holding[]> {
  const out: Holding[] = [];
  for (const [kind, dir] of [
    ['container', recordsDir(stateDir)],
    ['box', boxRecordsDir(stateDir)],
  ] as const) {
    for (const name of await recordNames(files, dir)) {
      const record = await readRecord(files, `${dir}/${name}`);
      if (!record || record.files.length === 0) continue;
      const id = kind === 'box' ? name.slice(0, -'.json'.length) : record.containerId;
      out.push({ place: { kind, id, workspace: record.workspace }, files: record.files });
    }
  }
  return out;
}

/** The recorded places that are live now. */
export async function liveHoldings(files: HostFiles, stateDir: string, checks: PlaceChecks): Promise<Holding[]> {
  const all = await readHoldings(files, stateDir);
  const ids = (kind: LoginPlace['kind']) => all.filter((h) => h.place.kind === kind).map((h) => h.place.id);
  const [containers, boxes] = await Promise.all([checks.runningContainers(ids('container')), checks.liveBoxes(ids('box'))]);
  return all.filter((h) => (h.place.kind === 'box' ? boxes : containers).has(h.place.id));
}

/** The rotating logins of `agents` on this host now (each known credential file read; only its kind is kept). */
async function rotatingLogins(files: HostFiles, agents: readonly EffectiveAgent[]): Promise<Login[]> {
  const out: Login[] = [];
  for (const a of agents) {
    for (const k of a.known.filter((f) => f.syncBack && f.role === 'credential')) {
      if ((await files.stat(k.host))?.type !== 'file') continue;
      const data = await files.read(k.host).catch(() => undefined);
      if (data && loginKind(a.kind, k.host, data) === 'rotating') out.push({ agent: a.kind, file: k.host });
    }
  }
  return out;
}

/** The places holding `login`, but `except` (the place about to receive it, or being looked at). */
export function holdersOf(login: Login, holdings: readonly Holding[], except?: Pick<LoginPlace, 'kind' | 'id'>): LoginPlace[] {
  const other = (p: LoginPlace) => !except || p.kind !== except.kind || p.id !== except.id;
  return holdings.filter((h) => other(h.place) && holds(h, login)).map((h) => h.place);
}

/** What a box injection does with a login live at `holders` (none: no fork, inject). */
export function onForkAction(policy: OnFork, holders: readonly LoginPlace[], apiKeyForwarded: boolean): ForkAction {
  if (holders.length === 0 || policy === 'warn') return 'inject';
  if (policy === 'api_key_only' && apiKeyForwarded) return 'api-key-only';
  return 'skip';
}

/** `box box_1, container 0123456789ab (/src/app)`. */
export function placesText(places: readonly LoginPlace[]): string {
  return places.map((p) => (p.kind === 'box' ? `box ${p.id}` : `container ${p.id.slice(0, 12)} (${p.workspace})`)).join(', ');
}

/** The warning for a login live at `holders` and the action taken (never the file's content). */
export function forkWarning(h: LoginHolders, policy: OnFork, action: ForkAction, opts: { hostHome: string; authEnv: readonly string[] }): string {
  const login = `its login in ${shownHost(h.file, opts.hostHome)} (a rotating refresh token) is live in ${placesText(h.places)}`;
  if (action === 'inject') return `token fork: ${login} too; a refresh in one place logs the others out (on_fork = "${policy}")`;
  if (action === 'api-key-only') return `API-key auth only (on_fork = "api_key_only"): ${login}; that file is not copied`;
  if (policy === 'refuse') return `not injected (on_fork = "refuse"): ${login}`;
  return `not injected (on_fork = "api_key_only" and no API key is forwarded: list one of ${opts.authEnv.join(', ')} in env_forward): ${login}`;
}

/** A token fork found for an injection into `into`: the login, where else it is live, and what on_fork does. */
export interface ForkFinding extends LoginHolders {
  onFork: OnFork;
  action: ForkAction;
  warning: string;
}

/**
 * The rotating logins of the enabled agents that are live elsewhere than `into` (a box): each with its
 * agent's `on_fork` action and warning. `held`: only the logins `into` already holds (a warm box,
 * injected before its claim: the action taken then was an injection). Nothing without place checks.
 */
export async function findForks(deps: AgentDeps, into: Pick<LoginPlace, 'kind' | 'id'>, opts: { held?: boolean } = {}): Promise<ForkFinding[]> {
  if (!deps.places) return [];
  const agents = effectiveAgents(deps.agents, deps.env, deps.hostHome).filter((a) => a.enabled);
  const logins = await rotatingLogins(deps.files, agents);
  if (logins.length === 0) return [];
  const holdings = await liveHoldings(deps.files, deps.stateDir, deps.places);
  const out: ForkFinding[] = [];
  for (const login of logins) {
    const places = holdersOf(login, holdings, into);
    const agent = agents.find((a) => a.kind === login.agent);
    if (!agent || places.length === 0) continue;
    if (opts.held && !holdings.some((h) => h.place.kind === into.kind && h.place.id === into.id && holds(h, login))) continue;
    const onFork = deps.agents[login.agent].on_fork;
    const apiKey = forwardedNames(agent, deps.env).some((n) => agent.authEnv.includes(n));
    const action = opts.held ? 'inject' : onForkAction(onFork, places, apiKey);
    out.push({ ...login, places, onFork, action, warning: forkWarning({ ...login, places }, onFork, action, { hostHome: deps.hostHome, authEnv: agent.authEnv }) });
  }
  return out;
}

/** The token-fork decisions for injecting the enabled agents into `into` (a box), per agent. */
export async function loginDecisions(deps: AgentDeps, into: Pick<LoginPlace, 'kind' | 'id'>): Promise<Partial<Record<AgentKind, LoginDecision>>> {
  const found = await findForks(deps, into);
  return Object.fromEntries(found.map((f) => [f.agent, { action: f.action, warning: f.warning }]));
}

/** Every rotating login of the agents and the live places holding it (agents doctor). */
export async function loginHolders(deps: AgentDeps, agents: readonly EffectiveAgent[]): Promise<LoginHolders[]> {
  const logins = await rotatingLogins(deps.files, agents);
  if (!deps.places || logins.length === 0) return logins.map((l) => ({ ...l, places: [] }));
  const holdings = await liveHoldings(deps.files, deps.stateDir, deps.places);
  return logins.map((l) => ({ ...l, places: holdersOf(l, holdings) }));
}

const holds = (h: Holding, login: Login) => h.files.some((f) => f.agent === login.agent && f.host === login.file);

// `*.json` record files of a dir (none when it does not exist; temp files of a write in flight skipped)
async function recordNames(files: HostFiles, dir: string): Promise<string[]> {
  if ((await files.stat(dir))?.type !== 'dir') return [];
  const names = await files.list(dir).catch(() => []);
  return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
}
