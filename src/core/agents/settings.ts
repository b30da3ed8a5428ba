// The agent settings core works with: the shape of the config's `[agents]` table, declared here so core
// never imports config. app hands over the loaded table; its keys keep their TOML names, so a name means
// the same thing in the file, in `config show --json` and here.
import type { AgentKind, OnFork } from '../../domain/kinds.js';

/** One agent's `[agents.<kind>]` overrides of its preset. */
export interface AgentSettings {
  enabled: boolean;
  install: boolean;
  host_config_path?: string[] | undefined;
  container_config_path?: string | undefined;
  /** Names of variables forwarded from cac's environment (allow-list). */
  env_forward: string[];
  install_command?: string | undefined;
  /** The CLI version: exact, or "latest" (resolved once and recorded); default: the preset's pin. */
  version?: string | undefined;
  /** A rotating login already live in another container or box, about to go into a box: warn, refuse, or API-key auth only. */
  on_fork: OnFork;
}

/** `[agents]`: the switches, and one entry per agent kind. */
export type AgentsSettings = {
  enabled: boolean;
  on_start: boolean;
  on_rebuild: boolean;
  sync_back: boolean;
  max_copy_mb: number;
} & Record<AgentKind, AgentSettings>;
