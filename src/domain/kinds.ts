// Names shared by config, CLI choices and completions; kept free of imports so the CLI can load it cheaply.
/** The agents cac injects: codex, claude, cursor, gemini. */
export const AGENT_KINDS = ['codex', 'claude', 'cursor', 'gemini'] as const;
/** One of AGENT_KINDS. */
export type AgentKind = (typeof AGENT_KINDS)[number];

/** The VM drivers `[boxes] driver` names: docker, ssh-fleet, command. */
export const BOX_DRIVERS = ['docker', 'ssh-fleet', 'command'] as const;
/** One of BOX_DRIVERS. */
export type BoxDriverName = (typeof BOX_DRIVERS)[number];
