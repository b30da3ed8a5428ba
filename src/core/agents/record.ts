// What an injection leaves behind for sync-back: per workspace (a box: per box id), the container and
// the hashes of each credential file copied (state dir, 0600; hashes only, never contents). The records
// are also where token forks are found: every live place holding a login.
import { posix } from 'node:path';
import type { AgentKind } from '../../domain/kinds.js';
import type { HostFiles } from './host-material.js';
import { sha256, type SyncedFile } from './plan.js';

export interface InjectionRecord {
  version: 1;
  containerId: string;
  workspace: string;
  remoteWorkspaceFolder: string;
  home: string;
  files: SyncedFile[];
}

export function recordPath(stateDir: string, workspace: string): string {
  return posix.join(recordsDir(stateDir), `${sha256(workspace).slice(0, 16)}.json`);
}

/** Where the records of local containers live (one per workspace). */
export const recordsDir = (stateDir: string): string => posix.join(stateDir, 'agents');

/** Where the records of boxes live: one per box, on the host that injected into it. */
export const boxRecordsDir = (stateDir: string): string => posix.join(stateDir, 'agents', 'boxes');

/** The record of what this host injected into a box (its sync-back on `box pull`/`box release`). */
export function boxRecordPath(stateDir: string, boxId: string): string {
  return posix.join(boxRecordsDir(stateDir), `${boxId}.json`);
}

export async function readRecord(files: HostFiles, path: string): Promise<InjectionRecord | undefined> {
  if ((await files.stat(path))?.type !== 'file') return undefined;
  try {
    const doc = JSON.parse(Buffer.from(await files.read(path)).toString('utf8')) as InjectionRecord;
    return doc.version === 1 && Array.isArray(doc.files) ? doc : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRecord(files: HostFiles, path: string, record: InjectionRecord): Promise<void> {
  await files.write(path, `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

/** The new record after injecting `agents`: their entries replaced, others kept for the same container. */
export function mergeRecord(old: InjectionRecord | undefined, next: Omit<InjectionRecord, 'version' | 'files'>, agents: readonly AgentKind[], files: SyncedFile[]): InjectionRecord {
  const kept = old && old.containerId === next.containerId ? old.files.filter((f) => !agents.includes(f.agent)) : [];
  return { version: 1, ...next, files: [...kept, ...files] };
}

/** Credentials already injected into this very container that this injection would overwrite. */
export function guardsFor(old: InjectionRecord | undefined, containerId: string, planned: readonly string[]): Array<{ file: SyncedFile; path: string; name: string }> {
  if (!old || old.containerId !== containerId) return [];
  return old.files.flatMap((file) => {
    const rel = file.container.startsWith(`${old.home}/`) ? file.container.slice(old.home.length + 1) : undefined;
    const path = rel === undefined ? file.container : `~/${rel}`;
    return planned.includes(path) ? [{ file, path, name: rel ?? file.container }] : [];
  });
}
