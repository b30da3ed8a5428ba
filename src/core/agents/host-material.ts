// The host side of injection: find the agent's config material (files, dirs walked minus caches),
// measure it against the size cap, read it. Files are reached through the HostFiles port.
import { posix } from 'node:path';
import type { AgentKind } from '../../domain/kinds.js';
import { isUnder, joinContainer, landing, type EffectiveAgent, type MaterialSpec } from './effective-config.js';
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

function excluded(agent: EffectiveAgent, host: string, container: string): boolean {
  return agent.exclude.some((e) => isUnder(host, e)) || agent.excludeInContainer.some((e) => isUnder(container, e));
}

async function walk(scan: HostScan, agent: EffectiveAgent, files: HostFiles, dir: string, container: string): Promise<void> {
  if (excluded(agent, dir, container)) return;
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
    if (excluded(agent, host, joinContainer(container, name))) continue;
    const st = await files.stat(host);
    if (st?.type === 'file') addFile(scan, agent, host, joinContainer(container, name), st);
    else if (st?.type === 'dir') await walk(scan, agent, files, host, joinContainer(container, name));
  }
}

function addFile(scan: HostScan, agent: EffectiveAgent, host: string, container: string, st: { size: number; mode: number }): void {
  // where it lands may follow the host file (a preset file with an explicit place); what it is there never does
  const placed = agent.known.find((k) => k.host === host && k.container)?.container ?? container;
  scan.totalBytes += st.size;
  scan.files.push({ host, container: placed, size: st.size, executable: (st.mode & 0o111) !== 0, ...landing(agent, placed) });
}
