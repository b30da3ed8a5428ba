// Names shared by config, CLI choices and completions; kept free of imports so the CLI can load it cheaply.
/** The agents cac injects: codex, claude, cursor, gemini. */
export const AGENT_KINDS = ['codex', 'claude', 'cursor', 'gemini'] as const;
/** One of AGENT_KINDS. */
export type AgentKind = (typeof AGENT_KINDS)[number];

/** `[agents.<kind>] on_fork`: what a box injection does with a rotating login already live elsewhere. */
export const ON_FORK = ['warn', 'refuse', 'api_key_only'] as const;
/** One of ON_FORK. */
export type OnFork = (typeof ON_FORK)[number];

/** The VM drivers `[boxes] driver` names: docker, ssh-fleet, command. */
export const BOX_DRIVERS = ['docker', 'ssh-fleet', 'command'] as const;
/** One of BOX_DRIVERS. */
export type BoxDriverName = (typeof BOX_DRIVERS)[number];

/** An exact agent CLI version as npm publishes it (`0.171.0`, `1.2.3-beta.1`): safe in paths and file names. */
export const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
/** `[agents.<kind>] version`: an exact version or "latest". */
export const isAgentVersion = (v: string): boolean => v === 'latest' || EXACT_VERSION.test(v);
