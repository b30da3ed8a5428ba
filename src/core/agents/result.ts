// What agent injection reports per agent (the `agents` array of every lifecycle result).
import type { AgentKind } from '../../domain/kinds.js';

/** How one agent's injection ended. */
export type AgentStatus = 'ok' | 'skipped' | 'warning';

/** One agent's injection: its status, what was copied, its warnings. */
export interface AgentResult {
  agent: AgentKind;
  status: AgentStatus;
  /** Host prerequisites passed (config material present, or an allow-listed auth env var set). */
  validated: boolean;
  /** Container paths written. */
  copied: string[];
  /** The agent CLI was installed by this run. */
  installed: boolean;
  /** Where an installed npm CLI came from: the read-only agent volume, the agent cache (no registry round trip either way) or the registry. */
  installedFrom?: 'volume' | 'cache' | 'registry';
  warnings: string[];
}

/** The running container agents are injected into. */
export interface ContainerTarget {
  containerId: string;
  remoteUser: string;
  remoteWorkspaceFolder: string;
  /** The workspace folder on the host (rewritten to remoteWorkspaceFolder inside agent state). */
  workspace: string;
}

/** Lifecycle events that may inject agents. */
export type AgentEvent = 'start' | 'rebuild';

/** Injects the enabled agents; never throws for an agent's failure (those are warnings). */
export type AgentInjector = (target: ContainerTarget, event: AgentEvent, signal?: AbortSignal) => Promise<AgentResult[]>;

/** The container sync-back reads from (its workspace path is not needed: injection recorded it). */
export type SyncBackTarget = Pick<ContainerTarget, 'containerId' | 'remoteUser' | 'workspace'>;

/** Copies refreshed credentials back before a container stops or goes away; resolves with the host paths updated. */
export type AgentSyncBack = (target: SyncBackTarget, signal?: AbortSignal) => Promise<string[]>;
