// Finds a workspace's devcontainer.json (where the reference CLI looks) and checks it is valid JSONC,
// so a typo is reported as file:line:col instead of being silently half-parsed.
import { posix } from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { CacError } from '../../errors.js';
import type { WorkspaceRef } from '../../ports/engine.js';
import type { WorkspaceFiles } from '../../ports/workspace-files.js';

/** Finds and checks a workspace's devcontainer.json (ERR_NO_DEVCONTAINER, ERR_DEVCONTAINER_JSON). */
export async function resolveWorkspace(files: WorkspaceFiles, folder: string, configFile?: string): Promise<WorkspaceRef> {
  const abs = files.resolve(folder);
  if (!(await files.isDirectory(abs))) {
    throw new CacError('ERR_INVALID_INPUT', `workspace folder ${abs} does not exist`, { hint: 'pass an existing folder, or run cac from inside the workspace' });
  }
  const candidates = configFile ? [files.resolve(configFile)] : [files.resolve(abs, '.devcontainer/devcontainer.json'), files.resolve(abs, '.devcontainer.json')];
  for (const file of candidates) {
    const text = await files.readText(file);
    if (text === undefined) continue;
    checkJsonc(text, file);
    return { folder: abs, configFile: file };
  }
  throw new CacError('ERR_NO_DEVCONTAINER', `no devcontainer.json for ${abs} (looked at: ${candidates.join(', ')})`, {
    hint: configFile ? 'check the --config-file path' : 'create .devcontainer/devcontainer.json, or pass --config-file',
    details: { looked: candidates },
  });
}

/** Throws ERR_DEVCONTAINER_JSON with file:line:col for the first syntax error. */
export function checkJsonc(text: string, file: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const { line, column } = position(text, first.offset);
    const shown = text.split('\n')[line - 1] ?? '';
    throw new CacError('ERR_DEVCONTAINER_JSON', `${file}:${line}:${column}: ${describe(printParseErrorCode(first.error))}`, {
      hint: 'fix the JSON (comments and trailing commas are allowed)',
      details: { excerpt: `${line} | ${shown}\n${' '.repeat(String(line).length + 3 + column - 1)}^` },
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CacError('ERR_DEVCONTAINER_JSON', `${file}:1:1: expected a JSON object`, { hint: 'devcontainer.json holds one object: { "image": ... }' });
  }
  return value as Record<string, unknown>;
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function describe(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** The devcontainer spec's default workspaceFolder: `/workspaces/<folder name>` (when the mount cannot be read). */
export function defaultRemoteWorkspace(folder: string): string {
  return `/workspaces/${posix.basename(folder)}`;
}
