// What injection, doctor and sync-back need from the outside world (wired by src/app/agents.ts).
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
}
