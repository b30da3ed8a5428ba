// Agent presets baked into code (facts from each agent's own documentation); every field can
// be overridden in `[agents.<kind>]`. Host paths are relative to the agent's config dir unless they
// start with `~`; container paths use `~` for the container user's real home.
import type { AgentKind } from '../../domain/kinds.js';

/** How a copied file is treated: credentials are 0600 in 0700 dirs, the rest is readable settings. */
export type MaterialRole = 'credential' | 'settings';

export interface PresetFile {
  /** Relative to the agent's host config dir, or a `~/…` path. */
  host: string;
  /** Where it lands when it is not `<container root>/<host>`: a `~/…` path. */
  container?: string;
  /** Where it is on the host when the preset's rootEnv variable is set (relative to that dir). */
  underRootEnv?: string;
  role: MaterialRole;
  /** Rotating refresh tokens live here: copied back to the host when the agent refreshes them. */
  syncBack?: boolean;
  /** Host workspace paths inside are rewritten to the container's workspace path. */
  rewrite?: 'claude-json' | 'codex-toml';
}

export interface Preset {
  kind: AgentKind;
  /** The agent's config dir on the host and (by default) in the container. */
  root: string;
  /** An environment variable that moves the host config dir (e.g. CODEX_HOME). */
  rootEnv?: string;
  files: PresetFile[];
  /** Sub-paths of the config dir never copied even when the whole dir is listed (caches, logs). */
  exclude: string[];
  /** Auth environment variables: one of them set and forwarded validates the agent. */
  authEnv: string[];
  /** Binary names probed in order (the specific name first: `agent` collides). */
  probe: string[];
  install: string;
  /** An npm-installed CLI: its package and the known-good version cac pins by default (cached per platform). */
  npm?: { package: string; version: string };
}

const s = (host: string, extra: Partial<PresetFile> = {}): PresetFile => ({ host, role: 'settings', ...extra });
const cred = (host: string, extra: Partial<PresetFile> = {}): PresetFile => ({ host, role: 'credential', ...extra });

/** An agent's own instruction file in the user's config dir (`<NAME>.md`), copied as settings. */
const instructions = (name: string): PresetFile => s(`${name}.md`);
export const PRESETS: Readonly<Record<AgentKind, Preset>> = {
  codex: {
    kind: 'codex',
    root: '~/.codex',
    rootEnv: 'CODEX_HOME',
    files: [cred('auth.json', { syncBack: true }), s('config.toml', { rewrite: 'codex-toml' }), instructions('AGENTS'), s('prompts')],
    exclude: ['sessions', 'archived_sessions', 'log', 'logs', 'history.jsonl', 'tmp'],
    authEnv: ['OPENAI_API_KEY', 'CODEX_API_KEY'],
    probe: ['codex'],
    install: 'npm i -g @openai/codex',
    npm: { package: '@openai/codex', version: '0.171.0' },
  },
  claude: {
    kind: 'claude',
    root: '~/.claude',
    rootEnv: 'CLAUDE_CONFIG_DIR',
    files: [
      cred('.credentials.json', { syncBack: true }),
      s('settings.json'),
      instructions('CLAUDE'),
      s('agents'),
      s('commands'),
      // onboarding state and per-project state keyed by absolute host path; in the config dir when
      // CLAUDE_CONFIG_DIR is set, else in the home
      cred('~/.claude.json', { container: '~/.claude.json', underRootEnv: '.claude.json', rewrite: 'claude-json' }),
    ],
    exclude: ['projects', 'todos', 'statsig', 'shell-snapshots', 'logs', 'debug', 'ide', 'file-history', 'session-env', 'plugins'],
    authEnv: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'],
    probe: ['claude'],
    install: 'npm i -g @anthropic-ai/claude-code',
    npm: { package: '@anthropic-ai/claude-code', version: '2.1.332' },
  },
  cursor: {
    kind: 'cursor',
    root: '~/.cursor',
    files: [s('cli-config.json'), s('mcp.json'), cred('~/.config/cursor/auth.json', { syncBack: true })],
    exclude: ['extensions', 'projects', 'logs'],
    authEnv: ['CURSOR_API_KEY'],
    probe: ['cursor-agent', 'agent'],
    install: 'curl https://cursor.com/install -fsS | bash',
  },
  gemini: {
    kind: 'gemini',
    root: '~/.gemini',
    files: [cred('oauth_creds.json', { syncBack: true }), cred('google_accounts.json'), cred('.env'), s('settings.json'), instructions('GEMINI'), s('commands')],
    exclude: ['tmp', 'history', 'logs'],
    authEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    probe: ['gemini'],
    install: 'npm i -g @google/gemini-cli',
    npm: { package: '@google/gemini-cli', version: '0.61.0' },
  },
};

/**
 * Where every agent's credentials land in a home (relative paths), with the forwarded-variables file:
 * what a reused box host wipes before its next claimant (the ssh-fleet driver).
 */
export function credentialHomePaths(envFile: string): string[] {
  const paths = Object.values(PRESETS).flatMap((p) =>
    p.files.filter((f) => f.role === 'credential').map((f) => (f.container ?? (f.host.startsWith('~/') ? f.host : `${p.root}/${f.host}`)).replace(/^~\//, '')),
  );
  return [...new Set([...paths, envFile])];
}
