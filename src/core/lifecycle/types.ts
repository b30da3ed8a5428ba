// Inputs and results of the lifecycle use cases (the `--json` documents of up/start/stop/...).
import type { DevcontainerEngine } from '../../ports/engine.js';
import type { Reporter } from '../../ports/reporter.js';
import type { AgentInjector, AgentResult, AgentSyncBack } from '../agents/result.js';

/** What a lifecycle operation did to the container. */
export type LifecycleAction = 'created' | 'reused' | 'started' | 'stopped' | 'removed' | 'rebuilt' | 'none';

/** What a lifecycle operation did: its action, the container, the agents' results. */
export interface LifecycleResult {
  outcome: 'success';
  action: LifecycleAction;
  containerId: string | null;
  remoteUser: string | null;
  remoteWorkspaceFolder: string | null;
  workspace: string;
  configFile: string;
  durationMs: number;
  agents: AgentResult[];
  /** Present for no-op outcomes, e.g. "nothing to stop". */
  message?: string;
  /** up/start/rebuild of a Compose config: the project the `service` container belongs to. */
  composeProject?: string;
  /** The workspace has no devcontainer configuration: `configFile` is the one cac generated for it, naming this image. */
  generatedImage?: string;
  /** Credential files copied back to the host before stop/down. */
  syncedBack?: string[];
}

/** What the lifecycle operations run on: the engine, a reporter, the clock, the agent hooks. */
export interface LifecycleDeps {
  engine: DevcontainerEngine;
  reporter: Reporter;
  now: () => number;
  /** Agent injection after up/start/rebuild; absent when agents are off. */
  agents?: AgentInjector;
  /** The agent volumes a container created by up/rebuild mounts (`--mount` values); never throws. */
  agentMounts?: (signal?: AbortSignal) => Promise<string[]>;
  /** Credential sync-back before stop/down; absent when off. */
  syncBack?: AgentSyncBack;
  /** Starts loading what `agents` runs, called once the engine reports progress: it loads while the engine works. */
  loadAgents?: () => void;
}

/** Options every lifecycle operation takes (abort signal). */
export interface LifecycleOptions {
  signal?: AbortSignal;
  /** --no-agents: skip injection this once. */
  noAgents?: boolean;
  /** `--mount` values a created container gets besides the agent hooks' (a box's own agent volumes). */
  mounts?: readonly string[];
}
