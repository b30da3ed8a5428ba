// Which agent logins rotate their refresh token on use (pure). Two copies of such a login, live at once,
// are a token fork: the first refresh in one place spends the token the others still hold, and they
// are logged out. Claude's OAuth credentials and Codex's ChatGPT login rotate; an API key does not.
// Judged from the file's structure only: no value is ever returned or quoted.
import type { AgentKind } from '../../domain/kinds.js';

/** How an agent is logged in by one credential file. */
export type LoginKind = 'rotating' | 'api-key' | 'other';

/** The credential file of each agent whose content may be a rotating login (by file name). */
const LOGIN_FILES: Partial<Record<AgentKind, string>> = { claude: '.credentials.json', codex: 'auth.json' };

/** The kind of login a credential file of `agent` holds. */
export function loginKind(agent: AgentKind, path: string, data: Uint8Array): LoginKind {
  const name = LOGIN_FILES[agent];
  if (!name || !path.endsWith(`/${name}`)) return 'other';
  const doc = object(data);
  if (!doc) return 'other';
  if (agent === 'claude') return isObject(doc.claudeAiOauth) ? 'rotating' : 'other';
  // Codex: `tokens` (with a refresh token) is the ChatGPT login; OPENAI_API_KEY alone is an API key
  const tokens = doc.tokens;
  if (doc.auth_mode === 'chatgpt' || (isObject(tokens) && typeof tokens.refresh_token === 'string')) return 'rotating';
  return typeof doc.OPENAI_API_KEY === 'string' && doc.OPENAI_API_KEY !== '' ? 'api-key' : 'other';
}

function object(data: Uint8Array): Record<string, unknown> | undefined {
  try {
    const doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data)) as unknown;
    return isObject(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
