// The box record and its state machine (docs/architecture.md "Box state machine"). Pure: the stores and the planner share it.
import { CacError } from '../errors.js';

/** Every state of a box (README "Remote boxes and warm pools"). */
export const BOX_STATES = ['requested', 'provisioning', 'standby', 'updating', 'claimed', 'ready', 'releasing', 'destroyed', 'failed'] as const;

/** One of BOX_STATES. */
export type BoxState = (typeof BOX_STATES)[number];

/** Every state but destroyed: the boxes a pool still counts. */
export const LIVE_STATES: readonly BoxState[] = BOX_STATES.filter((s) => s !== 'destroyed');

/** Released: the box's VM is being removed or gone; nothing reaches the box any more. */
export const RELEASED_STATES: readonly BoxState[] = ['releasing', 'destroyed'];

/** States a box never leaves for ready: failed (kept as evidence) or released. */
export const DEAD_STATES: readonly BoxState[] = ['failed', ...RELEASED_STATES];

/** The states that count toward a pool's max_instances: a box that exists, or is being made, for the pool. */
export const INSTANCE_STATES: readonly BoxState[] = ['requested', 'provisioning', 'standby', 'updating', 'claimed', 'ready'];

/** The states in which a box counts for its claimant (`[boxes] max_per_claimant`): a cold box on its way, a claimed or ready one. */
export const CLAIMANT_STATES: readonly BoxState[] = ['requested', 'provisioning', 'claimed', 'ready'];

/** Where to reach a box over SSH; `hostKey` is the pinned OpenSSH public key line. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  hostKey: string;
}

/**
 * Where a box's VM runs: the driver, and for a driver whose VMs only its own host sees (docker) the
 * engine's ID. Only a host whose driver has the same location lists the VM, so only it judges it gone.
 */
export interface VmLocation {
  driver: string;
  /** The engine's ID (`docker info`), or null for a driver every host sees alike (ssh-fleet, command). */
  engine: string | null;
}

/** Whether a host whose driver is at `here` sees the box's VM (a record from before locations: judged as before, by every host). */
export function seesVm(box: Pick<Box, 'vmLocation'>, here: VmLocation): boolean {
  const at = box.vmLocation;
  return !at || (at.driver === here.driver && at.engine === here.engine);
}

/** `docker@<engine id>`, `ssh-fleet`: a location in one word, for listings. */
export function locationText(at: VmLocation | null): string {
  if (!at) return '-';
  return at.engine ? `${at.driver}@${at.engine}` : at.driver;
}

/** One timed provisioning sub-step (vm_create, boot, repo, devcontainer_up, agents). */
export interface BoxStep {
  name: string;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  error?: string;
}

/** The box's checkout and dev container, as the provisioning steps left them (paths on the box). */
export interface BoxWorkspace {
  /** Absolute path of the repository checkout: `~/cac/<boxId>/<repo name>`. */
  folder: string;
  /** The branch checked out there. */
  branch: string;
  /** The devcontainer.json in use; null before the devcontainer step. */
  configFile: string | null;
  /** Set when the checkout has no devcontainer configuration: `configFile` is the one cac generated next to it (`[boxes] default_image`), naming this image. */
  generatedImage?: string;
  /** The devcontainer CLI on the box (absolute path); null before the devcontainer step. */
  cli: string | null;
  containerId: string | null;
  remoteUser: string | null;
  remoteWorkspaceFolder: string | null;
}

/**
 * What reconcile last measured of a held box's use (`[boxes] idle_timeout`): one probe over SSH per round.
 * The idle clock runs from `lastActiveAt`; `cpuUsec` is the baseline the next round's CPU use is taken from.
 */
export interface BoxActivity {
  /** When the last probe ran (or failed). */
  checkedAt: number;
  /** The last time the box was seen in use (or could not be measured, which counts as use). */
  lastActiveAt: number;
  /** Cumulative CPU time of the dev container (µs) at `checkedAt`; null when not measured (no container, a failed probe). */
  cpuUsec: number | null;
  /** Why the box counted as active at `lastActiveAt` (`ssh session`, `box exec`, `cpu`, `first probe`, `probe failed`). */
  activeBy: string;
}

/** The base branch's head as last checked for a box (by a reconcile round, a claim, or its provisioning). */
export interface HeadCheck {
  /** The base branch's head commit then. */
  commit: string;
  /** Commits the box was behind it (0: at head); null when the count is unknown (no local history to count in). */
  behind: number | null;
  /** When it was checked (ms since the epoch). */
  at: number;
}

/** A box record. Times are ms since the epoch. */
export interface Box {
  id: string;
  poolKey: string;
  repoUrl: string;
  baseBranch: string;
  branch: string;
  state: BoxState;
  claimant: string | null;
  leaseExpiresAt: number | null;
  /** Fencing token: incremented on each claim; later writes compare it. */
  fence: number;
  idempotencyKey: string;
  vmRef: string | null;
  /** Where the VM runs; null until vm_create (and on records made before cac recorded it). */
  vmLocation: VmLocation | null;
  sshTarget: SshTarget | null;
  steps: BoxStep[];
  /** The repo checkout and dev container on the box; null until the repo step ran. */
  workspace: BoxWorkspace | null;
  error: string | null;
  /** Whether the claim was warm (from standby); null until claimed. */
  warm: boolean | null;
  createdAt: number;
  updatedAt: number;
  claimedAt: number | null;
  readyAt: number | null;
  /** Provisioning deadline: past it, reconcile fails the box. */
  deadlineAt: number;
  /** Why the box was released (a person asked, its lease expired, it was idle, a failed box's retention ended); null until then. */
  releaseReason: string | null;
  /** What reconcile last measured of the held box's use (`[boxes] idle_timeout`); null until it probed it. */
  activity: BoxActivity | null;
  /** The checkout's HEAD commit (after the repo step, an update or a switch); null: unknown (before the repo step, or a record from before cac kept it). */
  commit: string | null;
  /** Hash of the files defining the dev container at `commit` (devcontainer.json, its Dockerfile and compose files); null: unknown. */
  configHash: string | null;
  /** The base branch's head when last checked for this box; null: never checked. */
  head: HeadCheck | null;
}

/** What a caller gives to record a new box (always `requested`). */
export interface NewBox {
  repoUrl: string;
  baseBranch: string;
  /** The branch to check out; defaults to the base branch. */
  branch?: string;
  deadlineAt: number;
  now: number;
  /** A cold request: the box is made for this claimant (fence 1, warm false) and never enters standby. */
  claimant?: string;
  leaseExpiresAt?: number;
}

/** Fields a state write may change; id, pool, state and fence move only through the store's operations. */
export type BoxPatch = Partial<
  Pick<
    Box,
    | 'branch'
    | 'claimant'
    | 'leaseExpiresAt'
    | 'vmRef'
    | 'vmLocation'
    | 'sshTarget'
    | 'steps'
    | 'workspace'
    | 'error'
    | 'warm'
    | 'readyAt'
    | 'deadlineAt'
    | 'releaseReason'
    | 'commit'
    | 'configHash'
    | 'head'
    | 'activity'
  >
>;

const NEXT: Readonly<Record<BoxState, readonly BoxState[]>> = {
  requested: ['provisioning', 'failed', 'releasing'],
  // ready straight from provisioning is the cold path: the box was created for its claimant
  provisioning: ['standby', 'ready', 'failed', 'releasing'],
  // updating: a reconcile holds a standby box while it brings it to its branch head (no claim takes it meanwhile)
  standby: ['claimed', 'updating', 'failed', 'releasing'],
  updating: ['standby', 'failed', 'releasing'],
  claimed: ['ready', 'failed', 'releasing'],
  ready: ['releasing'],
  releasing: ['destroyed'],
  failed: ['releasing'],
  destroyed: [],
};

/** Whether the state machine allows `from → to`. */
export function canTransition(from: BoxState, to: BoxState): boolean {
  return NEXT[from].includes(to);
}

/** Throws ERR_INVALID_TRANSITION for a move the state machine forbids (a bug, not a lost race). */
export function assertTransition(from: BoxState, to: BoxState): void {
  if (!canTransition(from, to)) {
    throw new CacError('ERR_INVALID_TRANSITION', `a box cannot go from ${from} to ${to}`, {
      details: { from, to, allowed: NEXT[from] },
    });
  }
}

/** A pool is keyed by repository and base branch. */
export function poolKeyOf(repoUrl: string, baseBranch: string): string {
  return `${repoUrl}#${baseBranch}`;
}

/** Oldest first; ties in plain code-unit order of the id (localeCompare is collation, and slow). */
export function byAge(a: Box, b: Box): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The box after a patch; `undefined` values leave a field as it is. */
export function applyPatch(box: Box, patch: BoxPatch, now: number): Box {
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as BoxPatch;
  return { ...box, ...defined, updatedAt: now };
}

/** The record a store writes for a new box. */
export function newBoxRecord(input: NewBox, id: string, idempotencyKey: string): Box {
  const cold = input.claimant !== undefined;
  return {
    id,
    poolKey: poolKeyOf(input.repoUrl, input.baseBranch),
    repoUrl: input.repoUrl,
    baseBranch: input.baseBranch,
    branch: input.branch ?? input.baseBranch,
    state: 'requested',
    claimant: input.claimant ?? null,
    leaseExpiresAt: input.leaseExpiresAt ?? null,
    fence: cold ? 1 : 0,
    idempotencyKey,
    vmRef: null,
    vmLocation: null,
    sshTarget: null,
    steps: [],
    workspace: null,
    error: null,
    warm: cold ? false : null,
    createdAt: input.now,
    updatedAt: input.now,
    claimedAt: cold ? input.now : null,
    readyAt: null,
    deadlineAt: input.deadlineAt,
    releaseReason: null,
    activity: null,
    commit: null,
    configHash: null,
    head: null,
  };
}

/** Fields a record written before cac kept them lacks: read as unknown. */
export const BOX_DEFAULTS: Pick<Box, 'releaseReason' | 'vmLocation' | 'commit' | 'configHash' | 'head' | 'activity'> = {
  releaseReason: null,
  vmLocation: null,
  commit: null,
  configHash: null,
  head: null,
  activity: null,
};

/** `abc1234`: a commit in seven hex digits, `-` when unknown. */
export function shortCommit(commit: string | null): string {
  return commit ? commit.slice(0, 7) : '-';
}

/** What is left of a claimed box's lease at `now` (0 once expired); null for a box with no lease or released. */
export function leaseRemainingMs(box: Pick<Box, 'leaseExpiresAt' | 'state'>, now: number): number | null {
  if (box.leaseExpiresAt === null || RELEASED_STATES.includes(box.state)) return null;
  return Math.max(0, box.leaseExpiresAt - now);
}
