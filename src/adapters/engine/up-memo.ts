// What `devcontainer up` answered for a workspace whose container it left running, kept so that the next
// `cac up` of an unchanged, still-running container answers from one `docker inspect` instead of the
// CLI's whole resolve (about half a second of probes that change nothing). The CLI is still run whenever
// running it could do something: the config file changed, the container was restarted or stopped since
// (postStartCommand runs again), or the config runs a command on every `up` (initializeCommand on the
// host, postAttachCommand in the container), and for Compose configs (an `up` starts stopped services).
// A memo holds no secret: a container id, a user name, a folder, hashes and a time.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkspaceRef } from '../../ports/engine.js';

/** One workspace's memo: the CLI's answer and when it was given. */
export interface UpMemo {
  containerId: string;
  remoteUser: string;
  remoteWorkspaceFolder: string;
  /** sha256 of the config file's text when the CLI ran. */
  configHash: string;
  /** When the CLI returned (ms since the epoch): a container started after it was restarted since. */
  at: number;
}

/** What `docker inspect` says of the memo's container now. */
export interface MemoContainer {
  running: boolean;
  /** State.StartedAt (RFC 3339). */
  startedAt: string;
  /** The devcontainer.metadata label (features' and images' lifecycle commands live there). */
  metadata: string | undefined;
}

// Commands the CLI runs on every `up`, even of a running container.
const EVERY_UP = /"(initializeCommand|postAttachCommand)"\s*:/;
const COMPOSE = /"dockerComposeFile"\s*:/;

export const configHash = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Whether an `up` of this config may be answered from a memo at all (decided from the config's text). */
export function memoizable(configText: string): boolean {
  return !EVERY_UP.test(configText) && !COMPOSE.test(configText);
}

/** Whether the memo still says what the CLI would: same config, the same container running since before the memo. */
export function memoHolds(memo: UpMemo, configText: string, now: MemoContainer | undefined): boolean {
  if (!now?.running || memo.configHash !== configHash(configText) || !memoizable(configText)) return false;
  if (now.metadata && EVERY_UP.test(now.metadata)) return false;
  const started = Date.parse(now.startedAt);
  return Number.isFinite(started) && started <= memo.at;
}

/** The memo files of one machine's workspaces: `<dir>/<sha256 of folder and config file>.json`, 0600 in a 0700 dir. */
export class UpMemos {
  constructor(private readonly dir: string) {}

  async read(ws: WorkspaceRef): Promise<UpMemo | undefined> {
    try {
      const m = JSON.parse(await readFile(this.file(ws), 'utf8')) as Partial<UpMemo>;
      const ok = typeof m.containerId === 'string' && typeof m.remoteUser === 'string' && typeof m.remoteWorkspaceFolder === 'string' && typeof m.configHash === 'string' && typeof m.at === 'number';
      return ok ? (m as UpMemo) : undefined;
    } catch {
      return undefined;
    }
  }

  // No fsync: a memo lost to a crash only costs the next `up` the CLI's full run.
  async write(ws: WorkspaceRef, memo: UpMemo): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(ws);
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(memo), { mode: 0o600 });
    await rename(tmp, file);
  }

  async forget(ws: WorkspaceRef): Promise<void> {
    await rm(this.file(ws), { force: true });
  }

  private file(ws: WorkspaceRef): string {
    return join(
      this.dir,
      `${createHash('sha256')
        .update(`${ws.folder}\0${ws.configFile}\0${(ws.labels ?? []).join('\0')}`)
        .digest('hex')}.json`,
    );
  }
}
