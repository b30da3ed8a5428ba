// Refreshed credentials flow back (pitfall 4: rotating single-use refresh tokens). A credential file
// the agent changed in the container is copied to the host only when the host copy is still the one
// injected, and only when it is the same kind of file (a regular file, not a link, within the size
// cap, same format and top-level keys): a container is untrusted. When both changed, or the copy is
// refused, the host file is kept and the user is warned. One exec reads them all.
import { quote } from '../../util/shell.js';
import type { SyncBackTarget } from './result.js';
import type { AgentDeps } from './deps.js';
import { shownHost } from './effective-config.js';
import { sha256, type SyncedFile } from './plan.js';
import { readRecord, recordPath, writeRecord } from './record.js';
import { homeGuardLines } from './home-guard.js';
import { MAX_CREDENTIAL_BYTES, unlikeCredential } from './credential-check.js';

export const READ_MARK = '# cac agents: read';

export interface SyncBackOutcome {
  /** Host paths updated. */
  synced: string[];
  warnings: string[];
}

/** What the container holds at a credential's place: its bytes (at most the cap + 1), or why it was not read. */
export type ContainerCopy = { data: Buffer } | { refused: 'link' | 'outside' | 'not-regular' };

const REFUSED: Record<Extract<ContainerCopy, { refused: unknown }>['refused'], string> = {
  link: 'is a symbolic link',
  outside: 'lies behind a symbolic link leading outside the home',
  'not-regular': 'is not a regular file',
};

export function syncBack(deps: AgentDeps, target: SyncBackTarget, signal?: AbortSignal): Promise<SyncBackOutcome> {
  return syncBackFrom(deps, recordPath(deps.stateDir, target.workspace), target, signal);
}

/** Sync-back by the record at `path` (a box's: per box id), from the container it names. */
export async function syncBackFrom(deps: AgentDeps, path: string, target: Omit<SyncBackTarget, 'workspace'>, signal?: AbortSignal): Promise<SyncBackOutcome> {
  const record = await readRecord(deps.files, path);
  // no injection into this very container: nothing of ours to bring back
  if (!record || record.containerId !== target.containerId || record.files.length === 0) return { synced: [], warnings: [] };
  const host = deps.container(target);
  const r = await host.exec(
    [
      'sh',
      '-c',
      readScript(
        record.home,
        record.files.map((f) => f.container),
      ),
    ],
    { timeoutMs: 60_000, ...(signal ? { signal } : {}) },
  );
  if (r.exitCode !== 0) return { synced: [], warnings: [`could not read credentials in the container (exit ${r.exitCode})`] };
  const inContainer = parseRead(r.stdout);
  const out: SyncBackOutcome = { synced: [], warnings: [] };
  const files: SyncedFile[] = [];
  for (const [i, f] of record.files.entries()) {
    const r = await reconcile(deps, f, inContainer.get(i), 'kept the host file');
    if (r.synced) out.synced.push(f.host);
    if (r.warning) out.warnings.push(`${f.agent}: ${r.warning}`);
    files.push(r.entry);
  }
  await writeRecord(deps.files, path, { ...record, files });
  return out;
}

/** One credential: the container's copy goes to the host when only the container changed it since
 * injection and it is the same kind of credential; resolves with the file's new record entry. */
export async function reconcile(deps: AgentDeps, f: SyncedFile, copy: ContainerCopy | undefined, onConflict: string): Promise<{ entry: SyncedFile; synced: boolean; warning?: string }> {
  const shown = shownHost(f.host, deps.hostHome);
  const refuse = (why: string) => ({ entry: f, synced: false, warning: `${shown} not taken from the container (its copy ${why}); ${onConflict}` });
  if (!copy) return { entry: f, synced: false };
  if ('refused' in copy) return refuse(REFUSED[copy.refused]);
  const now = sha256(copy.data);
  if (now === f.sentHash) return { entry: f, synced: false };
  const st = await deps.files.stat(f.host);
  const hostData = st?.type === 'file' ? await deps.files.read(f.host) : undefined;
  const hostNow = hostData ? sha256(hostData) : undefined;
  const entry = { ...f, hostHash: now, sentHash: now };
  if (hostNow === now) return { entry, synced: false };
  if (!hostData || hostNow !== f.hostHash) return { entry: f, synced: false, warning: `${shown} changed on the host and in the container; ${onConflict}` };
  const unlike = unlikeCredential(hostData, copy.data);
  if (unlike) return refuse(unlike);
  await deps.files.write(f.host, copy.data, 0o600);
  return { entry, synced: true };
}

/** Reads each credential (absolute paths) as the remote user: never through a link, never more than
 * the cap + 1 bytes; what is not a plain file under the home is reported instead. */
export function readScript(home: string, paths: readonly string[]): string {
  return [
    READ_MARK,
    'command -v base64 >/dev/null 2>&1 || { echo "base64 not found" >&2; exit 3; }',
    `h=${quote(home)}`,
    ...homeGuardLines(),
    'i=0',
    `for p in ${paths.map(quote).join(' ')}; do`,
    `  if [ -L "$p" ]; then printf 'refused\\t%s\\tlink\\n' "$i"`,
    `  elif ! cac_inside "$p"; then printf 'refused\\t%s\\toutside\\n' "$i"`,
    `  elif [ -f "$p" ]; then if [ -r "$p" ]; then printf 'file\\t%s\\t' "$i"; head -c ${MAX_CREDENTIAL_BYTES + 1} < "$p" | base64 | tr -d '\\n'; printf '\\n'; fi`,
    `  elif [ -e "$p" ]; then printf 'refused\\t%s\\tnot-regular\\n' "$i"`,
    '  fi',
    '  i=$((i + 1))',
    'done',
  ].join('\n');
}

export function parseRead(stdout: string): Map<number, ContainerCopy> {
  const found = new Map<number, ContainerCopy>();
  for (const line of stdout.split('\n')) {
    const [key, i, value = ''] = line.split('\t');
    if (i === undefined) continue;
    if (key === 'file') found.set(Number(i), { data: Buffer.from(value, 'base64') });
    else if (key === 'refused' && value in REFUSED) found.set(Number(i), { refused: value as keyof typeof REFUSED });
  }
  return found;
}
