// The host side of injection: find the agent's config material (files, dirs walked minus caches),
// measure it against the size cap, read it. Files are reached through the HostFiles port.
import { posix } from 'node:path';
import type { AgentKind } from '../../domain/kinds.js';
import { isUnder, joinContainer, type EffectiveAgent, type MaterialSpec } from './effective-config.js';
import type { MaterialRole, PresetFile } from './presets.js';

/** Files on the machine cac runs on (where agent material lives and sync-back writes). */
export interface HostFiles {
  /** Follows symlinks; undefined when the path does not exist. */
  stat(path: string): Promise<{ type: 'file' | 'dir' | 'other'; size: number; mode: number } | undefined>;
  /** Entry names of a directory. */
  list(dir: string): Promise<string[]>;
  /** A file's bytes; rejects when it cannot be read. */
  read(path: string): Promise<Uint8Array>;
  /** Write a temp file next to `path`, then rename it over `path`; parent dirs are created 0700. */
  write(path: string, data: Uint8Array | string, mode: number): Promise<void>;
}

export interface ScannedFile {
  host: string;
  /** `~/…` or absolute. */
  container: string;
  size: number;
  role: MaterialRole;
  /** The host file is executable (kept so in the container). */
  executable: boolean;
  syncBack: boolean;
  rewrite?: PresetFile['rewrite'];
  data?: Uint8Array;
}

export interface HostScan {
  kind: AgentKind;
  files: ScannedFile[];
  /** Container paths of the dirs walked (created even when empty). */
  dirs: string[];
  /** Listed host paths that do not exist. */
  missing: string[];
  /** Host files that exist but could not be read. */
  unreadable: string[];
  totalBytes: number;
  /** The agent's host config dir exists. */
  rootFound: boolean;
  /** The walk stopped at MAX_FILES. */
  truncated: boolean;
}

const MAX_FILES = 2000;

export async function scanHost(agent: EffectiveAgent, files: HostFiles): Promise<HostScan> {
  const rootFound = (await files.stat(agent.hostRoot))?.type === 'dir';
  const scan: HostScan = { kind: agent.kind, files: [], dirs: [], missing: [], unreadable: [], totalBytes: 0, rootFound, truncated: false };
  for (const spec of agent.material) {
    const st = await files.stat(spec.host);
    if (!st) scan.missing.push(spec.host);
    else if (st.type === 'file') addFile(scan, agent, spec.host, fileTarget(spec), st);
    else if (st.type === 'dir') await walk(scan, agent, files, spec.host, spec.container);
  }
  return scan;
}

/** Read every scanned file; unreadable ones move to `unreadable`. */
export async function readScanned(scan: HostScan, files: HostFiles): Promise<void> {
  const kept: ScannedFile[] = [];
  for (const f of scan.files) {
    try {
      kept.push({ ...f, data: await files.read(f.host) });
    } catch {
      scan.unreadable.push(f.host);
    }
  }
  scan.files = kept;
}

/** The biggest files first, for the size-cap warning. */
export function biggest(scan: HostScan, n = 3): ScannedFile[] {
  return [...scan.files].sort((a, b) => b.size - a.size).slice(0, n);
}

function fileTarget(spec: MaterialSpec): string {
  return spec.ontoRoot ? joinContainer(spec.container, posix.basename(spec.host)) : spec.container;
}

async function walk(scan: HostScan, agent: EffectiveAgent, files: HostFiles, dir: string, container: string): Promise<void> {
  if (agent.exclude.some((e) => isUnder(dir, e))) return;
  scan.dirs.push(container);
  const names = await files.list(dir).catch(() => undefined);
  if (!names) {
    scan.unreadable.push(dir);
    return;
  }
  for (const name of names.sort()) {
    if (scan.files.length >= MAX_FILES) {
      scan.truncated = true;
      return;
    }
    const host = posix.join(dir, name);
    if (agent.exclude.some((e) => isUnder(host, e))) continue;
    const st = await files.stat(host);
    if (st?.type === 'file') addFile(scan, agent, host, joinContainer(container, name), st);
    else if (st?.type === 'dir') await walk(scan, agent, files, host, joinContainer(container, name));
  }
}

function addFile(scan: HostScan, agent: EffectiveAgent, host: string, container: string, st: { size: number; mode: number }): void {
  const known = agent.known.find((k) => k.host === host);
  scan.totalBytes += st.size;
  scan.files.push({
    host,
    container: known?.container ?? container,
    size: st.size,
    role: known?.role ?? 'settings',
    executable: (st.mode & 0o111) !== 0,
    syncBack: known?.syncBack ?? false,
    ...(known?.rewrite ? { rewrite: known.rewrite } : {}),
  });
}
