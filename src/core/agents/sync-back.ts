// Refreshed credentials flow back (pitfall 4: rotating single-use refresh tokens). A credential file
// the agent changed in the container is copied to the host only when the host copy is still the one
// injected; when both changed the host file is kept and the user is warned. One exec reads them all.
import { quote } from '../../util/shell.js';
import type { ContainerTarget } from './result.js';
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

export type SyncBackTarget = Pick<ContainerTarget, 'containerId' | 'remoteUser' | 'workspace'>;

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
  for (const [i, f] of record.files.entries()) files.push(await syncOne(deps, f, inContainer.get(i), out));
  await writeRecord(deps.files, path, { ...record, files });
  return out;
}

async function syncOne(deps: AgentDeps, f: SyncedFile, data: Buffer | undefined, out: SyncBackOutcome): Promise<SyncedFile> {
  if (!data) return f;
  const now = sha256(data);
  if (now === f.sentHash) return f;
  const shown = shownHost(f.host, deps.hostHome);
  const st = await deps.files.stat(f.host);
  const hostNow = st?.type === 'file' ? sha256(await deps.files.read(f.host)) : undefined;
  if (hostNow === now) return { ...f, hostHash: now, sentHash: now };
  if (hostNow !== f.hostHash) {
    out.warnings.push(`${f.agent}: ${shown} changed on the host and in the container; kept the host file`);
    return f;
  }
  await deps.files.write(f.host, data, 0o600);
  out.synced.push(f.host);
  return { ...f, hostHash: now, sentHash: now };
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
