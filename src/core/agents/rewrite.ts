// Agent state keyed by absolute workspace paths (~/.claude.json `projects`, Codex `[projects."…"]`)
// must name the container's workspace path inside the container. Pure text transforms.
import type { PresetFile } from './presets.js';

export interface Rewritten {
  text: string;
  /** Keys rewritten. */
  count: number;
  /** The text could not be parsed; it is returned unchanged. */
  unparsed?: boolean;
}

/** Rewrite workspace path `from` (and paths under it) to `to`. */
export function rewriteWorkspace(kind: NonNullable<PresetFile['rewrite']>, text: string, from: string, to: string): Rewritten {
  if (!from || !to || from === to) return { text, count: 0 };
  return kind === 'claude-json' ? rewriteClaudeJson(text, from, to) : rewriteCodexToml(text, from, to);
}

function moved(path: string, from: string, to: string): string | undefined {
  if (path === from) return to;
  return path.startsWith(`${from}/`) ? to + path.slice(from.length) : undefined;
}

function rewriteClaudeJson(text: string, from: string, to: string): Rewritten {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { text, count: 0, unparsed: true };
  }
  const projects = (doc as { projects?: unknown } | null)?.projects;
  if (!projects || typeof projects !== 'object' || Array.isArray(projects)) return { text, count: 0 };
  const entries = Object.entries(projects as Record<string, unknown>);
  const renamed = entries.map(([k, v]) => [moved(k, from, to) ?? k, v, moved(k, from, to) !== undefined] as const);
  const count = renamed.filter(([, , r]) => r).length;
  if (count === 0) return { text, count: 0 };
  // a key the host already had at the target path loses to the rewritten workspace entry
  const targets = new Set(renamed.filter(([, , r]) => r).map(([k]) => k));
  const out = Object.fromEntries(renamed.filter(([k, , r]) => r || !targets.has(k)).map(([k, v]) => [k, v]));
  return { text: `${JSON.stringify({ ...(doc as object), projects: out }, null, 2)}\n`, count };
}

// [projects."<path>"] and [projects.'<path>'] headers, also with a sub-table after the key.
const HEADER = /^([ \t]*\[[ \t]*projects[ \t]*\.[ \t]*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*')(?=[ \t]*[.\]])/gm;

function rewriteCodexToml(text: string, from: string, to: string): Rewritten {
  const keys = new Set([...text.matchAll(HEADER)].map((m) => decodeKey(m[2] ?? '')));
  let count = 0;
  const out = text.replace(HEADER, (whole, head: string, key: string) => {
    const target = moved(decodeKey(key), from, to);
    // never create a second table for a path the file already has: that would be invalid TOML
    if (target === undefined || keys.has(target)) return whole;
    count += 1;
    return `${head}${JSON.stringify(target)}`;
  });
  return { text: out, count };
}

function decodeKey(quoted: string): string {
  if (quoted.startsWith("'")) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}
