// Config text or object → schema (zod) → rules → {config, warnings}. Errors carry file:line:col for
// syntax and file:line + the field for schema and rule problems (changesets' parse → schema → rules).
// Loaded only when there is a config to check (load.ts): zod and smol-toml stay off a run without one.
import { parse, TomlError } from 'smol-toml';
import type * as z from 'zod/mini';
import { CacError } from '../errors.js';
import { configSchema } from './schema.js';
import { indexLines, lineOf } from './locate.js';
import { findUnknownKeys } from './unknown-keys.js';
import { configProblems, type RuleProblem } from './rules.js';
import type { LoadedConfig } from './load.js';

/** Parse and validate config text (pure; `file` is only used in messages). */
export function parseConfig(text: string, file: string): LoadedConfig {
  return validated(parseToml(text, file), indexLines(text), file);
}

/**
 * Validate a config given as an object with the file's keys (`{ boxes: { driver: 'docker' } }`), as the
 * library takes it; `name` stands for the file in messages.
 */
export function configFromObject(raw: object, name = 'config'): LoadedConfig {
  return validated(raw as Record<string, unknown>, new Map(), name);
}

function validated(raw: Record<string, unknown>, index: Map<string, number>, file: string): LoadedConfig {
  const warnings = findUnknownKeys(raw, configSchema).map(({ path, suggestion }) => ({
    path: path.join('.'),
    line: lineOf(index, path),
    message: `unknown key '${path.join('.')}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`,
  }));
  const result = configSchema.safeParse(raw);
  if (!result.success) throw schemaError(result.error.issues, raw, index, file);
  const problems = configProblems(result.data);
  if (problems.length) throw rulesError(problems, index, file);
  return { config: result.data, file, exists: true, warnings };
}

function rulesError(problems: RuleProblem[], index: Map<string, number>, file: string): CacError {
  const [first, ...more] = problems.map((p) => {
    const line = lineOf(index, p.path);
    return `${file}${line ? `:${line}` : ''}: ${p.message}`;
  });
  return new CacError('ERR_CONFIG_SCHEMA', first ?? `${file}: invalid config`, {
    hint: problems[0]?.hint ?? "run 'cac config validate' to see every problem",
    details: { file, more },
  });
}

function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const what = e.message.replace(/^Invalid TOML document: /, '').split('\n')[0] ?? 'invalid TOML';
    const shown = text.split(/\r?\n/)[e.line - 1] ?? '';
    throw new CacError('ERR_CONFIG_SYNTAX', `${file}:${e.line}:${e.column}: ${what}`, {
      hint: 'fix the TOML syntax at that position (https://toml.io)',
      details: { file, line: e.line, column: e.column, excerpt: excerpt(shown, e.line, e.column) },
    });
  }
}

function excerpt(line: string, lineNo: number, column: number): string {
  const gutter = `${lineNo} | `;
  return `${gutter}${line}\n${' '.repeat(gutter.length + Math.max(0, column - 1))}^`;
}

function schemaError(issues: z.core.$ZodIssue[], raw: unknown, index: Map<string, number>, file: string): CacError {
  const lines = issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const line = lineOf(index, path);
    return `${file}${line ? `:${line}` : ''}: ${path.join('.') || '(root)'}: ${describe(issue, valueAt(raw, path))}`;
  });
  const [first, ...more] = lines;
  return new CacError('ERR_CONFIG_SCHEMA', first ?? `${file}: invalid config`, {
    hint: "run 'cac config validate' to see every problem; 'cac config init' writes a commented example",
    details: { file, more },
  });
}

function describe(issue: z.core.$ZodIssue, value: unknown): string {
  const got = `got ${show(value)}`;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, ${got}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${got}`;
    case 'custom':
      return `${issue.message}, ${got}`;
    default: {
      const what = issue.message.replace(/^(Invalid input|Too small|Too big|Invalid string): /, '');
      return `${what.startsWith('expected') ? what : `expected ${what}`}, ${got}`;
    }
  }
}

function valueAt(raw: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur: unknown = raw;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = value instanceof Date ? value.toISOString() : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
