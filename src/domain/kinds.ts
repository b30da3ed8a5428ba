// Names shared by config, CLI choices and completions; kept free of imports so the CLI can load it cheaply.
export const AGENT_KINDS = ['codex', 'claude', 'cursor', 'gemini'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export const BOX_DRIVERS = ['docker', 'ssh-fleet', 'command'] as const;
export type BoxDriverName = (typeof BOX_DRIVERS)[number];

/** An exact agent CLI version as npm publishes it (`0.171.0`, `1.2.3-beta.1`): safe in paths and file names. */
export const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
/** `[agents.<kind>] version`: an exact version or "latest". */
export const isAgentVersion = (v: string): boolean => v === 'latest' || EXACT_VERSION.test(v);
