// The hash of what defines a box's dev container at a revision of its checkout: the `.devcontainer` tree,
// `.devcontainer.json`, and the Dockerfile and compose files the devcontainer.json names (which may live
// elsewhere in the repository). Same inputs, same hash; a change to any of them is a new one.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parse } from 'jsonc-parser';
import type { Host } from '../../ports/host.js';
import { CONFIG_PATHS } from './prepare-scripts.js';
import { OBJECTS_AT, SHOW_AT } from './repo-scripts.js';

/** Repository paths the devcontainer.json at `configRel` names: its Dockerfile and compose files. */
export function namedConfigFiles(configRel: string, text: string): string[] {
  const value: unknown = parse(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  const c = value as Record<string, unknown>;
  const build = c.build && typeof c.build === 'object' ? (c.build as Record<string, unknown>) : {};
  const compose = Array.isArray(c.dockerComposeFile) ? c.dockerComposeFile : [c.dockerComposeFile];
  const names = [build.dockerfile, c.dockerFile, ...compose].filter((v): v is string => typeof v === 'string' && v !== '');
  const dir = posix.dirname(configRel);
  // only files inside the repository: a path out of it is not versioned with the box's commit
  return names.map((n) => posix.normalize(posix.join(dir, n))).filter((p) => !posix.isAbsolute(p) && p !== '..' && !p.startsWith('../'));
}

/** 16 hex digits over `path id` lines (an absent path counts as `-`). */
function configHashOf(objects: ReadonlyArray<readonly [string, string]>): string {
  const text = [...objects]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([p, id]) => `${p} ${id}`)
    .join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The dev container definition's hash at `rev` of the checkout at `folder`; `configFile` is the devcontainer.json in use (absolute). */
export async function configHashAt(host: Host, folder: string, configFile: string, rev: string, signal: AbortSignal): Promise<string> {
  const configRel = posix.relative(folder, configFile);
  const shown = await host.exec(['sh', '-c', SHOW_AT, 'sh', folder, rev, configRel], { signal });
  const named = shown.exitCode === 0 ? namedConfigFiles(configRel, shown.stdout) : [];
  const paths = [...new Set([...CONFIG_PATHS, configRel, ...named])];
  const r = await host.exec(['sh', '-c', OBJECTS_AT, 'sh', folder, rev, ...paths], { signal });
  // the id is the last word: a path may hold spaces
  const objects = r.stdout.split('\n').flatMap((line): Array<[string, string]> => {
    const at = line.lastIndexOf(' ');
    const path = line.slice(0, at);
    return at > 0 && paths.includes(path) ? [[path, line.slice(at + 1).trim()]] : [];
  });
  return configHashOf(objects);
}
