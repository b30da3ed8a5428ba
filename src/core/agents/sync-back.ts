// Refreshed credentials flow back (pitfall 4: rotating single-use refresh tokens). A credential file
// the agent changed in the container is copied to the host only when the host copy is still the one
// injected; when both changed the host file is kept and the user is warned. One exec reads them all.
import { quote } from '../../util/shell.js';
import type { SyncBackTarget } from './result.js';
import type { AgentDeps } from './deps.js';
import { shownHost } from './effective-config.js';
import { sha256, type SyncedFile } from './plan.js';
import { readRecord, recordPath, writeRecord } from './record.js';

export const READ_MARK = '# cac agents: read';

export interface SyncBackOutcome {
  /** Host paths updated. */
  synced: string[];
  warnings: string[];
}

export async function syncBack(deps: AgentDeps, target: SyncBackTarget, signal?: AbortSignal): Promise<SyncBackOutcome> {
  const path = recordPath(deps.stateDir, target.workspace);
  const record = await readRecord(deps.files, path);
  // no injection into this very container: nothing of ours to bring back
  if (!record || record.containerId !== target.containerId || record.files.length === 0) return { synced: [], warnings: [] };
  const host = deps.container(target);
  const r = await host.exec(['sh', '-c', readScript(record.files.map((f) => f.container))], { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  if (r.exitCode !== 0) return { synced: [], warnings: [`could not read credentials in the container (exit ${r.exitCode})`] };
  const inContainer = parseRead(r.stdout);
  const out: SyncBackOutcome = { synced: [], warnings: [] };
  const files: SyncedFile[] = [];
  for (const [i, f] of record.files.entries()) {
    const r = await reconcile(deps, f, inContainer.get(i), 'kept the host file');
    if (r.synced) out.synced.push(f.host);
    if (r.conflict) out.warnings.push(`${f.agent}: ${r.conflict}`);
    files.push(r.entry);
  }
  await writeRecord(deps.files, path, { ...record, files });
  return out;
}

/** One credential: the container's bytes go to the host when only the container changed it since
 * injection; resolves with the file's new record entry. */
export async function reconcile(deps: AgentDeps, f: SyncedFile, data: Buffer | undefined, onConflict: string): Promise<{ entry: SyncedFile; synced: boolean; conflict?: string }> {
  const now = data ? sha256(data) : f.sentHash;
  if (!data || now === f.sentHash) return { entry: f, synced: false };
  const st = await deps.files.stat(f.host);
  const hostNow = st?.type === 'file' ? sha256(await deps.files.read(f.host)) : undefined;
  const entry = { ...f, hostHash: now, sentHash: now };
  if (hostNow === now) return { entry, synced: false };
  if (hostNow !== f.hostHash) return { entry: f, synced: false, conflict: `${shownHost(f.host, deps.hostHome)} changed on the host and in the container; ${onConflict}` };
  await deps.files.write(f.host, data, 0o600);
  return { entry, synced: true };
}

export function readScript(paths: readonly string[]): string {
  return [
    READ_MARK,
    'command -v base64 >/dev/null 2>&1 || { echo "base64 not found" >&2; exit 3; }',
    'i=0',
    `for p in ${paths.map(quote).join(' ')}; do`,
    `  if [ -f "$p" ] && [ -r "$p" ]; then printf 'file\\t%s\\t' "$i"; base64 < "$p" | tr -d '\\n'; printf '\\n'; fi`,
    '  i=$((i + 1))',
    'done',
  ].join('\n');
}

export function parseRead(stdout: string): Map<number, Buffer> {
  const found = new Map<number, Buffer>();
  for (const line of stdout.split('\n')) {
    const [key, i, b64 = ''] = line.split('\t');
    if (key === 'file' && i !== undefined) found.set(Number(i), Buffer.from(b64, 'base64'));
  }
  return found;
}
