// What injection, doctor and sync-back need from the outside world (wired by src/app/agents.ts).
import type { AgentCache } from '../../ports/agent-cache.js';
import type { Host } from '../../ports/host.js';
import type { Reporter } from '../../ports/reporter.js';
import type { Env } from './effective-config.js';
import type { HostFiles } from './host-material.js';
import type { AgentsSettings } from './settings.js';

export interface AgentDeps {
  agents: AgentsSettings;
  /** cac's environment: the source of forwarded values and of agents' root variables (CODEX_HOME). */
  env: Env;
  hostHome: string;
  /** Sync-back records live under `<stateDir>/agents/`. */
  stateDir: string;
  files: HostFiles;
  /** Runs commands in the container as its remote user (a ContainerHost over the engine's host). */
  container(target: { containerId: string; remoteUser: string }): Host;
  reporter: Reporter;
  /** Pinned npm CLIs installed once per platform and restored from here (absent: every install uses the registry). */
  cache?: AgentCache;
  /** Which recorded containers and boxes are live (token forks, forks.ts); absent: forks are not looked for. */
  places?: PlaceChecks;
  /** Containers may have read-only agent volumes mounted (local `cac up`): link from one before restoring a tar. */
  volumes?: boolean;
}

/** Which recorded places are live; answers only for the ids asked about. */
export interface PlaceChecks {
  /** The local containers among `ids` that run (an engine that does not answer: none). */
  runningContainers(ids: readonly string[]): Promise<ReadonlySet<string>>;
  /** The boxes among `ids` that are not released (a store that cannot be read: all of them). */
  liveBoxes(ids: readonly string[]): Promise<ReadonlySet<string>>;
}
