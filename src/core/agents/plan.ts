// The copy plan (pure): every agent's scanned host files → one set of tar entries with container
// paths (`~/…` = under the real home, discovered in the same exec that extracts them), modes
// (credentials 0600 in 0700 dirs, settings 0644), workspace paths rewritten, and the hashes
// sync-back needs.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { AgentKind } from '../../domain/kinds.js';
import { isUnder, type EffectiveAgent } from './effective-config.js';
import type { HostScan } from './host-material.js';
import { rewriteWorkspace } from './rewrite.js';

export interface TarEntry {
  /** `~/…` or absolute container path. */
  path: string;
  mode: number;
  /** Absent for directories. */
  data?: Uint8Array;
}

/** A credential file cac copied, with what it was on both sides at injection (sync-back compares). */
export interface SyncedFile {
  agent: AgentKind;
  host: string;
  /** Absolute container path (`~/…` in a plan, until the home is known). */
  container: string;
  /** sha256 of the host file as read. */
  hostHash: string;
  /** sha256 of the bytes the container received. */
  sentHash: string;
}

export interface CopyPlan {
  entries: TarEntry[];
  copied: Partial<Record<AgentKind, string[]>>;
  notes: Partial<Record<AgentKind, string[]>>;
  synced: SyncedFile[];
}

export interface Workspaces {
  /** Host workspace folder. */
  workspace: string;
  remoteWorkspaceFolder: string;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const HOME = '~';

export function planCopy(items: ReadonlyArray<{ agent: EffectiveAgent; scan: HostScan }>, ws: Workspaces): CopyPlan {
  const plan: CopyPlan = { entries: [], copied: {}, notes: {}, synced: [] };
  const files = new Map<string, TarEntry>();
  const dirs = new Map<string, number>();
  for (const { agent, scan } of items) {
    const root = agent.containerRoot;
    const copied: string[] = [];
    for (const d of scan.dirs) addDir(dirs, d, false);
    for (const f of scan.files) {
      if (!f.data) continue;
      const path = f.container;
      const data = f.rewrite ? rewritten(plan, agent.kind, f.rewrite, f.data, ws, f.container) : f.data;
      const credential = f.role === 'credential';
      files.set(path, { path, mode: credential ? 0o600 : f.executable ? 0o755 : 0o644, data });
      copied.push(path);
      for (let dir = posix.dirname(path); isUnder(dir, root) && dir !== HOME; dir = posix.dirname(dir)) addDir(dirs, dir, false);
      if (credential) addDir(dirs, posix.dirname(path), true);
      if (f.syncBack) plan.synced.push({ agent: agent.kind, host: f.host, container: path, hostHash: sha256(f.data), sentHash: sha256(data) });
    }
    plan.copied[agent.kind] = copied;
  }
  // parents before children, so tar creates them with our modes
  const dirEntries = [...dirs].sort(([a], [b]) => a.length - b.length).map(([path, mode]) => ({ path, mode }));
  plan.entries = [...dirEntries, ...files.values()];
  return plan;
}

// A dir that directly holds a credential is 0700; the home itself and / are never touched.
function addDir(dirs: Map<string, number>, dir: string, credential: boolean): void {
  if (dir === HOME || dir === '/' || dir === '.') return;
  const mode = credential || dirs.get(dir) === 0o700 ? 0o700 : 0o755;
  dirs.set(dir, mode);
}

function rewritten(plan: CopyPlan, kind: AgentKind, how: 'claude-json' | 'codex-toml', data: Uint8Array, ws: Workspaces, shown: string): Uint8Array {
  const r = rewriteWorkspace(how, Buffer.from(data).toString('utf8'), ws.workspace, ws.remoteWorkspaceFolder);
  if (r.unparsed) (plan.notes[kind] ??= []).push(`${shown} is not valid JSON: copied without rewriting workspace paths`);
  return r.count > 0 ? Buffer.from(r.text, 'utf8') : data;
}
