// Names shared by config, CLI choices and completions; kept free of imports so the CLI can load it cheaply.
export const AGENT_KINDS = ['codex', 'claude', 'cursor', 'gemini'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export const BOX_DRIVERS = ['docker', 'ssh-fleet', 'command'] as const;
export type BoxDriverName = (typeof BOX_DRIVERS)[number];
