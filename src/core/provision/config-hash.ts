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
  return configHashOf(await objectsAt(host, folder, rev, paths, signal));
}

/** `[path, object id]` of `paths` at `rev` (`-`: absent), in one exec. */
async function objectsAt(host: Host, folder: string, rev: string, paths: readonly string[], signal: AbortSignal): Promise<Array<[string, string]>> {
  const r = await host.exec(['sh', '-c', OBJECTS_AT, 'sh', folder, rev, ...paths], { signal });
  // the id is the last word: a path may hold spaces
  return r.stdout.split('\n').flatMap((line): Array<[string, string]> => {
    const at = line.lastIndexOf(' ');
    const path = line.slice(0, at);
    return at > 0 && paths.includes(path) ? [[path, line.slice(at + 1).trim()]] : [];
  });
}

/**
 * What a script must read at a revision to hash the config without a second exec: the object ids of
 * `paths`, a listing of `dirs` (the devcontainer.json's folder and its parent, where the files it names
 * usually are) and the devcontainer.json's text.
 */
export interface ConfigReads {
  configRel: string;
  paths: string[];
  dirs: string[];
}

/** The reads for the devcontainer.json `configFile` (absolute) of the checkout at `folder`. */
export function configReads(folder: string, configFile: string): ConfigReads {
  const configRel = posix.relative(folder, configFile);
  const dir = posix.dirname(configRel);
  // a config outside the checkout (a default image's) names nothing the repository versions
  const outside = posix.isAbsolute(configRel) || configRel.startsWith('../');
  const dirs = outside ? [] : [...new Set([dir, posix.dirname(dir)])];
  return { configRel, paths: [...new Set([...CONFIG_PATHS, configRel])], dirs };
}

/** What the script printed for the reads: each path's id (`-`: absent), the listed folders' entries, the devcontainer.json's text. */
export interface ConfigRead {
  ids: readonly string[];
  /** ls-tree lines and `=listed <dir>` after each folder listed in full. */
  listing: readonly string[];
  text: string | undefined;
}

/** The config hash from one read; a named file outside the listed folders costs one more exec (`rev` read again). */
export async function configHashOfRead(host: Host, folder: string, reads: ConfigReads, read: ConfigRead, rev: string, signal: AbortSignal): Promise<string> {
  const known = new Map(reads.paths.map((p, i): [string, string] => [p, read.ids[i] ?? '-']));
  const { entries, listed } = parseListing(read.listing);
  const named = read.text === undefined ? [] : namedConfigFiles(reads.configRel, read.text);
  const missing: string[] = [];
  for (const p of named) {
    if (known.has(p)) continue;
    // not among a folder's entries listed in full: absent (a trailing slash names a folder: read it)
    if (listed.has(posix.dirname(p)) && !p.endsWith('/')) known.set(p, entries.get(p) ?? '-');
    else missing.push(p);
  }
  if (missing.length > 0) for (const [p, id] of await objectsAt(host, folder, rev, missing, signal)) known.set(p, id);
  return configHashOf([...known]);
}

// `<mode> <type> <id>\t<path>` lines; a path git quoted (odd characters) leaves no folder complete
function parseListing(lines: readonly string[]): { entries: Map<string, string>; listed: Set<string> } {
  const entries = new Map<string, string>();
  const listed = new Set<string>();
  let quoted = false;
  for (const line of lines) {
    if (line.startsWith('=listed ')) listed.add(line.slice(8));
    const m = /^\d+ \w+ ([0-9a-f]+)\t(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    if (m[2].startsWith('"')) quoted = true;
    entries.set(m[2], m[1]);
  }
  return { entries, listed: quoted ? new Set() : listed };
}
